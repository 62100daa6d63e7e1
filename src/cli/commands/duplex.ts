// `pls duplex POOL`: write and follow one pool at once. On a terminal each typed line is sent as
// {"from":ME,"msg":LINE} and the others' messages are shown as they arrive (a chat); without a terminal it
// ingests a JSON stream from stdin, as poke does, while printing the pool's messages it did not write itself.
// Invariants: a message this process appended is never shown back (unless --echo-self): local appends record
// their seqs before the follower can read them, remote ones settle before a received message is judged.
import { PlasmiteError } from "../../errors.ts";
import type { CursorStart, PoolHandle } from "../../api/client.ts";
import type { RemotePoolHandle } from "../../remote/client.ts";
import { envelopeJson } from "../../wire/index.ts";
import { checkedTags, memberSource, objectText } from "../../api/message-text.ts";
import { isTerminal } from "../../platform/files.ts";
import { defineCommand } from "../args.ts";
import { openPool } from "../pools.ts";
import { isRemote, rejectRemoteFlags, remoteFlags, remotePool } from "../remote.ts";
import { colorForced, colorOn, notice, printErrLine, stderrIsTTY, stdoutIsTTY } from "../output.ts";
import { LineWriter } from "../line-writer.ts";
import { parseCount, parseDuration, parseSince } from "../values.ts";
import { ExitCode } from "../exit.ts";
import type { AppendLog, Sink } from "./poke-stream.ts";
import type { RecordOk } from "../ingest.ts";

const NO_TAGS = checkedTags([]);

/** Most messages read and shown per step. */
const READ_BATCH = 4096;
/** At the end of input, how long duplex may take to show what the pool already held. */
const CATCH_UP_LIMIT_MS = 2000;

export default defineCommand({
  meta: {
    name: "duplex",
    description: [
      "Send and watch one pool at once: a chat on a terminal, a two-way pipe in scripts.",
      "",
      "On a terminal each non-empty line you type is sent as {\"from\": ME, \"msg\": LINE} and the others'",
      "messages are shown as they arrive (yours only with --echo-self); Ctrl-D ends it. Without a terminal it",
      "appends the JSON records piped to stdin (as poke does, no receipts) and prints the pool's messages it did",
      "not write itself, until its input ends.",
      "",
      "Examples:",
      "  pls duplex chat --me alice --create",
      "  pls duplex chat --me bob --tail 20",
      `  (echo '{"cmd": "ping"}'; sleep 5) | pls duplex rpc > replies.jsonl`,
      "  pls duplex https://host:9700/chat --me alice --token-file plasmite-auth-token.txt --tls-ca plasmite-tls-cert.pem",
    ].join("\n"),
  },
  args: {
    pool: { type: "positional", description: "Pool name, path, or http(s)://host:port/POOL", required: true },
    me: { type: "string", description: "Your name: sent as .from, and messages from it are not shown (required on a terminal)" },
    create: { type: "boolean", description: "Create the pool if missing" },
    tail: { type: "string", alias: "n", description: "First show the last N messages, then follow" },
    since: { type: "string", description: "First show the messages since a time (5m, 2h, 1d or RFC 3339), then follow" },
    timeout: { type: "string", description: "Exit 124 if nothing is shown within DUR (restarts after each message shown)" },
    format: { type: "string", description: "pretty or jsonl (default: pretty on a terminal, jsonl when piped)" },
    jsonl: { type: "boolean", description: "Same as --format jsonl" },
    "echo-self": { type: "boolean", description: "Also show your own messages" },
    ...remoteFlags,
  },
  async run({ args }) {
    const ref = String(args.pool);
    const me = args.me === undefined ? undefined : String(args.me);
    const interactive = isTerminal(0);
    if (interactive && me === undefined) throw new PlasmiteError("Usage", "--me NAME is required when duplex reads a terminal", { hint: `Example: pls duplex ${ref} --me alice` });
    if (me !== undefined && me.trim() === "") throw new PlasmiteError("Usage", "--me needs a name");
    const tail = args.tail === undefined ? undefined : parseCount(String(args.tail), "--tail");
    const sinceNs = args.since === undefined ? undefined : parseSince(String(args.since));
    if (tail !== undefined && sinceNs !== undefined) throw new PlasmiteError("Usage", "--tail and --since cannot be combined", { hint: "Use one of them." });
    if (args.format !== undefined && args.format !== "pretty" && args.format !== "jsonl") throw new PlasmiteError("Usage", `invalid value for --format: '${args.format}'`, { hint: "Use pretty or jsonl." });
    if (args.jsonl && args.format === "pretty") throw new PlasmiteError("Usage", "conflicting output options: --jsonl and --format pretty", { hint: "Use --format jsonl (or --jsonl), but not both." });
    const timeoutMs = args.timeout === undefined ? undefined : parseDuration(String(args.timeout), "--timeout");
    const pretty = args.jsonl ? false : args.format === "pretty" ? true : args.format === "jsonl" ? false : stdoutIsTTY();
    const start = { tail, sinceMs: sinceNs === undefined ? undefined : Number(sinceNs / 1_000_000n) };

    const pool = isRemote(ref) ? await remoteSide(ref, args) : localSide(ref, args);
    const out = new LineWriter();
    const ac = new AbortController();
    const stop = async (code: number) => {
      ac.abort();
      await out.flush();
      pool.close();
      process.exit(code);
    };
    process.on("SIGINT", () => void stop(130));
    process.on("SIGTERM", () => void stop(143));

    const render = renderer(pretty);
    const hidden = (m: Shown) => !args["echo-self"] && (pool.mine.has(m.seq) || (me !== undefined && fromOf(m.json) === me));
    let lastSeq = 0;
    const follower = follow(pool, start, ac.signal, timeoutMs, async (batch) => {
      await pool.settled(); // a message of ours may arrive before its append's answer (remote)
      let shown = 0;
      lastSeq = batch[batch.length - 1].seq;
      for (const m of batch) {
        if (hidden(m)) continue;
        out.push(render(m.json));
        shown++;
      }
      await out.flush();
      return shown;
    });
    if (interactive && stderrIsTTY()) printErrLine(`duplex: ${ref} as ${me} — type a line to send it, Ctrl-D to leave`);
    const sender = interactive ? sendTypedLines(pool, me!) : ingestStdin(pool, ref);
    // whichever ends first: the input (exit 0), or the follower (--timeout's 124, or an error)
    const ended = await Promise.race([sender.then(() => "input" as const), follower.then(() => "follower" as const)]);
    if (ended === "input") {
      // what the pool held when the input ended is shown before exiting (bounded: a server may be slow)
      const newest = await pool.newest();
      const deadline = performance.now() + CATCH_UP_LIMIT_MS;
      while (lastSeq < newest && performance.now() < deadline) await Promise.race([follower, Bun.sleep(10)]);
    }
    await stop(0);
  },
});

/** A message as shown: its seq and envelope text. */
interface Shown {
  seq: number;
  json: string;
}

/** The pool a duplex writes and follows, local or remote, and the seqs it wrote. */
interface DuplexPool {
  readonly mine: Set<number>;
  /** Appends data texts in order, each with no tags; records their seqs in `mine`. */
  sink: Sink;
  /** Resolves once every append started so far has its answer (its seq is in `mine`). */
  settled(): Promise<void>;
  /** The pool's newest seq now (0 when empty). */
  newest(): Promise<number>;
  /** Envelopes from `start` (default the live edge) until `signal`. */
  messages(start: { tail?: number; sinceMs?: number }, signal: AbortSignal): AsyncIterator<Shown>;
  close(): void;
}

function localSide(ref: string, args: Record<string, unknown>): DuplexPool {
  rejectRemoteFlags(args, ref);
  const handle: PoolHandle = openPool(ref, args.create ? {} : undefined);
  const mine = new Set<number>();
  const times: number[] = [];
  return {
    mine,
    sink: {
      path: handle.path,
      atomicBatches: true,
      info: () => handle.info(),
      append(records, durability, log) {
        times.length = 0;
        const first = handle.appendDataTexts(records.map((r) => r.text), NO_TAGS, durability, times);
        for (let i = 0; i < records.length; i++) mine.add(first + i);
        log.run(first, times);
      },
    },
    settled: () => Promise.resolve(),
    newest: () => Promise.resolve(handle.info().bounds.newest ?? 0),
    async *messages(start, signal) {
      const from: CursorStart = start.sinceMs !== undefined ? { timeNs: BigInt(start.sinceMs) * 1_000_000n } : start.tail !== undefined ? { last: start.tail } : { newest: true };
      const events = handle.follow({
        start: from,
        signal,
        onDrop: (d) => notice("drop", "duplex", ref, `dropped ${d.count} messages`, { last_seen_seq: d.fromSeq - 1, next_seen_seq: d.toSeq + 1, dropped_count: d.count, pool_path: handle.path }),
        unlinkedHint: "Start duplex again to follow the new pool.",
      });
      for await (const e of events) {
        if (e.kind === "batch") for (const m of e.messages) yield { seq: m.seq, json: envelopeJson(m) };
      }
    },
    close: () => handle.close(),
  };
}

async function remoteSide(ref: string, args: Record<string, unknown>): Promise<DuplexPool> {
  const pool: RemotePoolHandle = await remotePool(ref, args);
  let create = Boolean(args.create);
  if (create) {
    // before following: a tail of a missing pool fails
    await pool.client.createPool(pool.name).catch((e: unknown) => {
      if (!(e instanceof PlasmiteError) || e.kind !== "AlreadyExists") throw e;
    });
    create = false;
  }
  const mine = new Set<number>();
  let inFlight: Promise<unknown> = Promise.resolve();
  return {
    mine,
    sink: {
      path: pool.path,
      atomicBatches: false,
      info: () => pool.info(),
      async append(records, durability, log: AppendLog) {
        for (const r of records) {
          const sent = pool.appendDataText(r.text, { durability });
          inFlight = sent.catch(() => {});
          const m = await sent;
          mine.add(m.seq);
          log.one(m.seq, m.time);
        }
      },
    },
    settled: () => inFlight.then(() => {}),
    newest: async () => (await pool.info()).bounds.newest ?? 0,
    async *messages(start, signal) {
      for await (const line of pool.tailLines({ last: start.tail, sinceTimeMs: start.sinceMs, signal })) yield line;
    },
    close() {},
  };
}

/**
 * Follows `pool`, handing what arrived (up to READ_BATCH at a time) to `show`, which returns how many it
 * showed. Resolves when `signal` aborts; throws ExitCode(124) when nothing was shown for `timeoutMs`.
 */
async function follow(pool: DuplexPool, start: { tail?: number; sinceMs?: number }, signal: AbortSignal, timeoutMs: number | undefined, show: (batch: Shown[]) => Promise<number>): Promise<void> {
  const messages = pool.messages(start, signal);
  let deadline = timeoutMs === undefined ? Infinity : performance.now() + timeoutMs;
  const TIMED_OUT = "timed out" as const;
  let next = messages.next();
  for (;;) {
    const wait = deadline === Infinity ? [] : [Bun.sleep(Math.max(0, deadline - performance.now())).then(() => TIMED_OUT)];
    const r = await Promise.race([next, ...wait]);
    if (r === TIMED_OUT) {
      if (stderrIsTTY()) printErrLine(`no messages shown (timed out after ${timeoutMs} ms)`);
      throw new ExitCode(124);
    }
    if (r.done) return;
    const batch: Shown[] = [r.value];
    next = messages.next();
    // what has already arrived goes out together
    while (batch.length < READ_BATCH) {
      const more = await Promise.race([next, Bun.sleep(0).then(() => null)]);
      if (more === null || more.done) break;
      batch.push(more.value);
      next = messages.next();
    }
    if ((await show(batch)) > 0 && timeoutMs !== undefined) deadline = performance.now() + timeoutMs;
  }
}

/** Terminal mode: each non-empty typed line is appended as {"from": me, "msg": line}; resolves at end of input (Ctrl-D). */
async function sendTypedLines(pool: DuplexPool, me: string): Promise<void> {
  const decoder = new TextDecoder();
  let partial = "";
  const log: AppendLog = { run() {}, one() {} };
  const send = async (line: string) => {
    if (line.trim() === "") return;
    const text = objectText({ from: me, msg: line });
    const record: RecordOk = { ok: true, index: 0, data: {}, text, ascii: false };
    await pool.sink.append([record], "fast", log);
  };
  for await (const chunk of Bun.stdin.stream()) {
    const text = partial + decoder.decode(chunk, { stream: true });
    const lines = text.split("\n");
    partial = lines.pop()!;
    for (const line of lines) await send(line.endsWith("\r") ? line.slice(0, -1) : line);
  }
  await send(partial + decoder.decode());
}

/** Script mode: stdin is a stream of JSON records (as for poke: JSON Lines, JSON-seq, SSE…), appended without receipts. */
async function ingestStdin(pool: DuplexPool, ref: string): Promise<void> {
  const { ingest, streamSource } = await import("./poke-stream.ts");
  await ingest(pool.sink, streamSource("-"), { tags: NO_TAGS, durability: "fast", mode: "auto", errorPolicy: "stop", retry: (fn) => Promise.resolve(fn()), ref, command: "duplex", quiet: true });
}

/** `data.from` of an envelope, if it is a string. */
function fromOf(envelope: string): string | undefined {
  const data = memberSource(envelope, "data");
  const from = data === null ? null : memberSource(data, "from");
  if (from === null || !from.startsWith('"')) return undefined;
  try {
    return JSON.parse(from) as string;
  } catch {
    return undefined;
  }
}

function renderer(pretty: boolean): (envelope: string) => string {
  const color = pretty ? colorOn("stdout") : colorForced();
  if (!pretty && !color) return (json) => json + "\n";
  const { prettyText } = require("../pretty.ts") as typeof import("../pretty.ts");
  return (json) => prettyText(json, color, !pretty) + "\n";
}
