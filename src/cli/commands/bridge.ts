// `pls bridge out|in|status`: mirror pools through NATS JetStream as a long-lived process (events on stderr,
// SIGTERM/SIGINT drain and exit 0), and show running bridges' status files.
// Loads the NATS client only inside `out` and `in` (src/bridge/out.ts, in.ts): help and `status` never do.
import { PlasmiteError } from "../../errors.ts";
import { defineCommand } from "../args.ts";
import { openPool, client } from "../pools.ts";
import { globals } from "../context.ts";
import { notice, printJson, printLine, stdoutIsTTY } from "../output.ts";
import { parseCount, parseSize } from "../values.ts";
import type { Bridge, BridgeEvent } from "../../bridge/common.ts";
import type { NatsOptions } from "../../bridge/nats.ts";

const natsFlags = {
  creds: { type: "string", description: "NATS credentials file (JWT and nkey seed)" },
  token: { type: "string", description: "NATS authentication token" },
  user: { type: "string", description: "NATS user (with --password)" },
  password: { type: "string", description: "NATS password" },
  "tls-ca": { type: "string", description: "CA certificate file to verify the NATS server (turns TLS on)" },
  "tls-cert": { type: "string", description: "Client certificate file (mutual TLS, with --tls-key)" },
  "tls-key": { type: "string", description: "Client key file" },
  stream: { type: "string", description: "JetStream stream name (required)" },
} as const;

function natsOptions(url: string, args: Record<string, unknown>): NatsOptions {
  const text = (name: string) => (args[name] === undefined ? undefined : String(args[name]));
  return {
    servers: url.split(",").map((s) => s.trim()),
    creds: text("creds"),
    token: text("token") ?? (process.env.NATS_TOKEN || undefined),
    user: text("user"),
    password: text("password"),
    tlsCa: text("tls-ca"),
    tlsCert: text("tls-cert"),
    tlsKey: text("tls-key"),
  };
}

function streamOf(args: Record<string, unknown>, command: string): string {
  if (args.stream === undefined || String(args.stream) === "") {
    throw new PlasmiteError("Usage", `--stream is required for \`bridge ${command}\``, { hint: `Example: pls bridge ${command === "out" ? "out events nats://127.0.0.1:4222" : "in nats://127.0.0.1:4222 --into events"} --stream EVENTS` });
  }
  return String(args.stream);
}

/** Runs a bridge until it fails or a signal asks it to stop (then drains; exit 0). */
async function runBridge(bridge: Bridge): Promise<void> {
  let stopping = false;
  const stop = () => {
    if (stopping) process.exit(130); // a second signal: do not wait for the drain
    stopping = true;
    void bridge.stop();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  try {
    await bridge.done;
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}

function reporter(command: string, pool: string): (e: BridgeEvent) => void {
  return (e) => notice(e.kind, `bridge ${command}`, pool, e.message, e.details);
}

const out = defineCommand({
  meta: {
    name: "out",
    description: [
      "Publish a pool's messages to a JetStream stream, in seq order, each once, until stopped.",
      "",
      "Resumes from what the stream holds (Nats-Msg-Id per message; JetStream drops re-sends). The stream is",
      "created when missing. Messages overwritten before they were published are a retention gap: reported",
      "(drop notice), or exit 9 with --gap-policy error. Status: pls bridge status POOL.",
      "",
      "Examples:",
      "  pls bridge out events nats://127.0.0.1:4222 --stream EVENTS",
      "  pls bridge out events nats://nats.internal:4222 --stream EVENTS --subject site1.events --creds app.creds",
    ].join("\n"),
  },
  args: {
    pool: { type: "positional", description: "Pool name or path", required: true },
    url: { type: "positional", description: "NATS server URL (nats://HOST:PORT; several separated by commas)", required: true },
    ...natsFlags,
    subject: { type: "string", description: "Subject to publish on (default plasmite.POOL)" },
    "gap-policy": { type: "string", description: "On messages overwritten before they were published: continue (default, reported) or error (exit 9)" },
    "max-in-flight": { type: "string", description: "Publishes awaiting acknowledgement at most (default 1024)" },
    replicas: { type: "string", description: "Replicas when the stream is created (1..5, default 1)" },
  },
  async run({ args }) {
    const stream = streamOf(args, "out");
    const gapPolicy = args["gap-policy"] === undefined ? "continue" : String(args["gap-policy"]);
    if (gapPolicy !== "continue" && gapPolicy !== "error") throw new PlasmiteError("Usage", `invalid value for --gap-policy: '${gapPolicy}'`, { hint: "Use continue or error." });
    const maxInFlight = args["max-in-flight"] === undefined ? undefined : parseCount(String(args["max-in-flight"]), "--max-in-flight");
    const replicas = args.replicas === undefined ? undefined : parseCount(String(args.replicas), "--replicas");
    const nats = natsOptions(String(args.url), args);
    const pool = openPool(String(args.pool));
    const { bridgeOut } = await import("../../bridge/out.ts");
    const subject = args.subject === undefined ? undefined : String(args.subject);
    await runBridge(bridgeOut({ ...nats, pool, stream, subject, gapPolicy, maxInFlight, replicas, onEvent: reporter("out", pool.name) }));
  },
});

const into = defineCommand({
  meta: {
    name: "in",
    description: [
      "Append a JetStream stream's messages to a pool through a durable consumer, each once, until stopped.",
      "",
      "A message is acknowledged after its append; redeliveries the pool already holds are skipped (each",
      "appended message records its stream seq in meta.stream; meta.origin says where it was first written).",
      "",
      "Examples:",
      "  pls bridge in nats://127.0.0.1:4222 --stream EVENTS --into events --create",
      "  pls bridge in nats://nats.internal:4222 --stream EVENTS --into site1 --durable site1-mirror --subject site1.>",
    ].join("\n"),
  },
  args: {
    url: { type: "positional", description: "NATS server URL (nats://HOST:PORT; several separated by commas)", required: true },
    ...natsFlags,
    into: { type: "string", description: "Pool to append to (required)" },
    create: { type: "boolean", description: "Create the pool if missing" },
    size: { type: "string", description: "Size for --create (default 1M)" },
    durable: { type: "string", description: "Durable consumer name (default plasmite-POOL)" },
    subject: { type: "string", description: "Only this subject (wildcards allowed) when the consumer is created" },
    durability: { type: "string", description: "fast (default) or flush (sync each batch to disk before acknowledging it)" },
  },
  async run({ args }) {
    const stream = streamOf(args, "in");
    if (args.into === undefined || String(args.into) === "") throw new PlasmiteError("Usage", "--into POOL is required for `bridge in`", { hint: "Example: pls bridge in nats://127.0.0.1:4222 --stream EVENTS --into events --create" });
    if (args.size !== undefined && !args.create) throw new PlasmiteError("Usage", "--size requires --create");
    const durability = args.durability === undefined ? "fast" : String(args.durability);
    if (durability !== "fast" && durability !== "flush") throw new PlasmiteError("Usage", `invalid value for --durability: '${durability}'`, { hint: "Use fast or flush." });
    const nats = natsOptions(String(args.url), args);
    const sizeBytes = args.size === undefined ? undefined : parseSize(String(args.size));
    const pool = openPool(String(args.into), args.create ? { sizeBytes } : undefined);
    const { bridgeIn } = await import("../../bridge/in.ts");
    await runBridge(
      bridgeIn({
        ...nats,
        pool,
        stream,
        durable: args.durable === undefined ? undefined : String(args.durable),
        subject: args.subject === undefined ? undefined : String(args.subject),
        durability,
        onEvent: reporter("in", pool.name),
      }),
    );
  },
});

const status = defineCommand({
  meta: {
    name: "status",
    description: [
      "Show the bridges of a pool (or of every pool in the directory): state, lag in messages and time.",
      "",
      "Reads the status files running bridges rewrite every second beside their pool; `alive` is false once",
      "the process is gone. JSON when piped or with --json.",
      "",
      "Examples:",
      "  pls bridge status",
      "  pls bridge status events --json",
    ].join("\n"),
  },
  args: {
    pool: { type: "positional", description: "Pool name or path (default: every pool in the directory)", required: false },
    json: { type: "boolean", description: "Print JSON even on a terminal" },
  },
  async run({ args }) {
    const { readStatuses } = await import("../../bridge/status.ts");
    const poolPath = args.pool === undefined ? undefined : client().pathOf(String(args.pool));
    const bridges = readStatuses(globals().dir, poolPath).map(freshOutLag);
    if (args.json || !stdoutIsTTY()) {
      printJson({ bridges });
      return;
    }
    if (bridges.length === 0) {
      printLine(args.pool === undefined ? "no bridges" : `no bridges for ${args.pool}`);
      return;
    }
    for (const b of bridges) {
      const where = b.direction === "out" ? `${b.pool} -> ${b.stream} (${b.subject})` : `${b.stream} -> ${b.pool} (consumer ${b.durable})`;
      const state = b.alive ? b.state : `${b.state}, not running`;
      printLine(`${b.direction.padEnd(3)}  ${where}  ${state}  lag ${b.lag_messages} messages, ${b.lag_ms} ms${b.error ? `  error: ${b.error.message}` : ""}`);
    }
  },
});

/** An out bridge's lag recomputed from its pool now (the file's figure is up to a second old). */
function freshOutLag<T extends { direction: string; pool_path: string; published_through?: number; lag_messages: number; lag_ms: number; pool_newest?: number | null }>(b: T): T {
  if (b.direction !== "out" || b.published_through === undefined) return b;
  try {
    const pool = client().openPool(b.pool_path);
    try {
      const s = pool.seqBounds();
      const lag = Math.max(0, s.newestSeq - b.published_through);
      let lagMs = 0;
      if (lag > 0) lagMs = Math.max(0, Date.now() - Number(pool.getStored(Math.max(b.published_through + 1, s.oldestSeq)).timeNs / 1_000_000n));
      return { ...b, lag_messages: lag, lag_ms: lagMs, pool_newest: s.newestSeq > 0 ? s.newestSeq : null };
    } finally {
      pool.close();
    }
  } catch {
    return b; // the pool is gone or unreadable: the file's figures stand
  }
}

export default defineCommand({
  meta: {
    name: "bridge",
    description: "Mirror pools through NATS JetStream: out (pool to stream), in (stream to pool), status.",
  },
  subCommands: { out, in: into, status },
});
