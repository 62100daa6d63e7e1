// `pls tap POOL -- COMMAND [ARGS…]`: runs a command and records its life in a pool: a start message, each line of
// its stdout and stderr (tagged by stream) as it comes, and how it ended; its output still reaches this terminal.
// Invariants: no line is dropped (a child writing faster than the pool takes waits on its pipe: each read is
// appended before the next read); lines of one stream are appended in the order written; start comes first
// and exit last; tap exits with the child's status (128 + signal when a signal ended it).
import { constants } from "node:os";
import { PlasmiteError } from "../../errors.ts";
import type { PoolHandle } from "../../api/client.ts";
import type { RemotePoolHandle } from "../../remote/client.ts";
import { checkedTags, objectText, type CheckedTags, type DataText } from "../../api/message-text.ts";
import { collectRepeated, defineCommand } from "../args.ts";
import { lockTimeoutFrom, openPool } from "../pools.ts";
import { isRemote, rejectRemoteFlags, remoteFlags, remotePool } from "../remote.ts";
import { printErrLine, stderrIsTTY } from "../output.ts";
import { parseSize } from "../values.ts";
import { ExitCode } from "../exit.ts";

type Durability = "fast" | "flush";
type StreamName = "stdout" | "stderr";

/** A line longer than this (UTF-16 units) is recorded as several messages, all but the last `"partial":true`. */
export const MAX_LINE_CHARS = 64 * 1024;
/** Once the command has exited, its pipes are read until EOF or until they stay quiet this long (a grandchild may hold them open). */
const DRAIN_AFTER_EXIT_MS = 500;
/** Tags of the start and exit messages (line messages carry the --tag values). */
const LIFECYCLE_TAGS = checkedTags(["lifecycle"]);

export default defineCommand({
  meta: {
    name: "tap",
    description: [
      "Run a command and record its output lines in a pool (stdout and stderr, a start and an exit message).",
      "",
      "Each line becomes {\"kind\":\"line\",\"stream\":\"stdout\"|\"stderr\",\"line\":…} as soon as it is written; the",
      "output still shows here unless --quiet. SIGINT and SIGTERM are passed on to the command, and tap exits",
      "with its status (128 + N when signal N ended it).",
      "",
      "Examples:",
      "  pls tap build --create -- make -j4",
      "  pls tap deploys --tag prod -- ./deploy.sh v1.2.3",
      "  pls peek build --where '.data.stream == \"stderr\"'      # meanwhile, elsewhere",
      "  pls tap http://host:9700/ci --token-file plasmite-auth-token.txt -- npm test",
    ].join("\n"),
  },
  args: {
    pool: { type: "positional", description: "Pool name, path, or http(s)://host:port/POOL", required: true },
    command: { type: "positional", description: "The command to run, after --", required: false, valueHint: "COMMAND..." },
    create: { type: "boolean", description: "Create the pool if it does not exist" },
    "create-size": { type: "string", description: "Size for --create (default 1M)" },
    tag: { type: "string", alias: "t", description: "Tag for the line messages (repeatable); start and exit are tagged lifecycle" },
    quiet: { type: "boolean", alias: "q", description: "Do not pass the command's output through to this terminal" },
    durability: { type: "string", description: "fast (default) or flush (msync each batch)" },
    "lock-timeout": { type: "string", description: "MS to wait for another writer's lock before failing Busy (default 5000)" },
    ...remoteFlags,
  },
  async run({ args, rawArgs }) {
    const ref = String(args.pool);
    const dash = rawArgs.indexOf("--");
    const command = dash < 0 ? [] : rawArgs.slice(dash + 1);
    if (command.length === 0) throw new PlasmiteError("Usage", "tap needs a command to run, after --", { hint: "Example: pls tap build --create -- make -j4" });
    const before = (args._ as string[]).length - command.length;
    if (before > 1) throw new PlasmiteError("Usage", `unexpected argument '${(args._ as string[])[1]}' for \`tap\``, { hint: "Put the command after --: pls tap POOL -- COMMAND [ARGS…]" });
    const tags = checkedTags(collectRepeated(rawArgs, "tag", "t"));
    const durability = String(args.durability ?? "fast") as Durability;
    if (durability !== "fast" && durability !== "flush") throw new PlasmiteError("Usage", `invalid value for --durability: '${durability}'`, { hint: "Use fast or flush." });
    if (args["create-size"] !== undefined && !args.create) throw new PlasmiteError("Usage", "--create-size requires --create");
    const createSize = args["create-size"] === undefined ? undefined : parseSize(String(args["create-size"]), "--create-size");
    const sink = isRemote(ref)
      ? await remoteSink(ref, args, Boolean(args.create), createSize)
      : localSink(ref, args, args.create ? { sizeBytes: createSize } : undefined);
    try {
      const code = await tap(command, sink, { tags, durability, quiet: Boolean(args.quiet), ref });
      if (code !== 0) throw new ExitCode(code);
    } finally {
      sink.close();
    }
  },
});

/** Where tap's messages go: appends in call order (a remote pool: one request at a time). */
interface TapSink {
  append(dataTexts: DataText[], tags: CheckedTags, durability: Durability): void | Promise<void>;
  close(): void;
}

function localSink(ref: string, args: Record<string, unknown>, create: { sizeBytes?: number } | undefined): TapSink {
  rejectRemoteFlags(args, ref);
  const pool: PoolHandle = openPool(ref, create, lockTimeoutFrom(args["lock-timeout"]));
  return {
    append: (texts, tags, durability) => void pool.appendDataTexts(texts, tags, durability),
    close: () => pool.close(),
  };
}

async function remoteSink(ref: string, args: Record<string, unknown>, create: boolean, createSize: number | undefined): Promise<TapSink> {
  if (args["lock-timeout"] !== undefined) throw new PlasmiteError("Usage", "--lock-timeout applies to local pools", { hint: "A server bounds its own waits: pls serve --lock-timeout MS." });
  const pool: RemotePoolHandle = await remotePool(ref, args);
  const appendOne = async (text: DataText, tags: CheckedTags, durability: Durability): Promise<void> => {
    try {
      await pool.appendDataText(text, { tags, durability });
    } catch (err) {
      if (!create || !(err instanceof PlasmiteError) || err.kind !== "NotFound") throw err;
      create = false;
      await pool.client.createPool(pool.name, { sizeBytes: createSize }).catch((e: unknown) => {
        if (!(e instanceof PlasmiteError) || e.kind !== "AlreadyExists") throw e;
      });
      await pool.appendDataText(text, { tags, durability });
    }
  };
  // one request at a time, in call order: the server stores them in the order they arrive
  let queue: Promise<void> = Promise.resolve();
  return {
    append(texts, tags, durability) {
      queue = queue.then(async () => {
        for (const text of texts) await appendOne(text, tags, durability);
      });
      return queue;
    },
    close() {},
  };
}

interface TapOptions {
  tags: CheckedTags;
  durability: Durability;
  quiet: boolean;
  ref: string;
}

/** Runs `command`, recording it into `sink`; resolves to the exit status tap should end with. */
async function tap(command: string[], sink: TapSink, o: TapOptions): Promise<number> {
  // the start goes first, before the command runs: a pool that refuses it (auth, access, full disk) runs nothing
  await sink.append([objectText({ kind: "start", cmd: command })], LIFECYCLE_TAGS, o.durability);
  const startedMs = performance.now();
  let child: ReturnType<typeof spawnChild>;
  try {
    child = spawnChild(command);
  } catch (err) {
    const e = spawnError(command[0], err);
    // every start has its exit: this one says why the command never ran
    await sink.append([objectText({ kind: "exit", error: e.message, elapsed_ms: Math.round(performance.now() - startedMs) })], LIFECYCLE_TAGS, o.durability);
    throw e;
  }
  // Ctrl-C and kill reach tap: pass them on and keep recording until the command ends
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const onInt = forward("SIGINT");
  const onTerm = forward("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  const onTerminal = stderrIsTTY();
  if (onTerminal) printErrLine(`tap: recording ${shellWords(command)} into ${o.ref}`);

  let failure: unknown = null;
  let lines = 0;
  const fail = (err: unknown) => {
    failure ??= err;
    child.kill("SIGTERM"); // the pool refused: stop the command rather than lose what it writes
  };
  const exited = child.exited;
  const record = async (texts: DataText[]) => {
    if (failure) return;
    try {
      await sink.append(texts, o.tags, o.durability);
      lines += texts.length;
    } catch (err) {
      fail(err);
    }
  };
  await Promise.all([
    pump(child.stdout, o.quiet ? null : Bun.stdout, record, "stdout", exited),
    pump(child.stderr, o.quiet ? null : Bun.stderr, record, "stderr", exited),
  ]);
  await exited;
  process.off("SIGINT", onInt);
  process.off("SIGTERM", onTerm);
  if (failure) throw failure;
  const elapsed_ms = Math.round(performance.now() - startedMs);
  const signal = child.signalCode;
  const end = signal ? { kind: "exit", signal, elapsed_ms } : { kind: "exit", code: child.exitCode ?? 0, elapsed_ms };
  await sink.append([objectText(end)], LIFECYCLE_TAGS, o.durability);
  const status = signal ? 128 + (constants.signals[signal as keyof typeof constants.signals] ?? 0) : (child.exitCode ?? 0);
  if (onTerminal) printErrLine(`tap: ${lines.toLocaleString("en-US")} line(s) into ${o.ref} in ${(elapsed_ms / 1000).toFixed(1)} s, ${signal ? `killed by ${signal}` : `exit ${status}`}`);
  return status;
}

/** Why a command could not start, as the error tap ends with. */
function spawnError(program: string, err: unknown): PlasmiteError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return new PlasmiteError("Usage", `command not found: ${program}`, { hint: "Check PATH, or give the command's path." });
  if (code === "EACCES") return new PlasmiteError("Permission", `command is not executable: ${program}`);
  return new PlasmiteError("Io", `could not start ${program}: ${(err as Error).message}`);
}

function spawnChild(command: string[]) {
  return Bun.spawn(command, { stdin: "inherit", stdout: "pipe", stderr: "pipe" });
}

/**
 * Reads one of the child's pipes to its end: each read is passed through to `out` and its complete lines
 * recorded (awaited before the next read, so a fast writer waits on its pipe). After the child exited, a pipe
 * still held open by a grandchild is read until it stays quiet for DRAIN_AFTER_EXIT_MS.
 */
async function pump(
  source: ReadableStream<Uint8Array>,
  out: typeof Bun.stdout | null,
  record: (texts: DataText[]) => Promise<void>,
  stream: StreamName,
  exited: Promise<number>,
): Promise<void> {
  const reader = source.getReader();
  const lines = new LineSplitter(stream);
  const exitedMark = exited.then(() => null);
  let childDone = false;
  let passthrough = out;
  let pending: ReturnType<typeof reader.read> | null = null;
  for (;;) {
    pending ??= reader.read();
    const r = await Promise.race([pending, childDone ? Bun.sleep(DRAIN_AFTER_EXIT_MS).then(() => null) : exitedMark]);
    if (r === null) {
      if (!childDone) {
        childDone = true; // keep reading (the same pending read), now with the quiet limit
        continue;
      }
      // quiet since the child exited, yet not closed: a grandchild holds the pipe; stop here
      void reader.cancel().catch(() => {});
      break;
    }
    pending = null;
    if (r.done) break;
    const texts = lines.push(r.value);
    if (texts.length > 0) await record(texts);
    if (passthrough) {
      try {
        await Bun.write(passthrough, r.value);
      } catch {
        passthrough = null; // our own output went away (a closed pipe): keep recording
      }
    }
  }
  const rest = lines.end();
  if (rest.length > 0) await record(rest);
}

/**
 * Splits a byte stream into line messages' data texts: UTF-8 (invalid bytes become U+FFFD), lines end at "\n"
 * with a "\r" before it dropped; a last line without "\n" counts at the end; longer than MAX_LINE_CHARS is cut.
 */
export class LineSplitter {
  private readonly decoder = new TextDecoder("utf-8");
  private partial = "";

  constructor(private readonly stream: StreamName) {}

  push(chunk: Uint8Array): DataText[] {
    return this.split(this.partial + this.decoder.decode(chunk, { stream: true }), false);
  }

  end(): DataText[] {
    return this.split(this.partial + this.decoder.decode(), true);
  }

  private split(text: string, final: boolean): DataText[] {
    const out: DataText[] = [];
    let start = 0;
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
      this.emit(out, text.slice(start, nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl));
      start = nl + 1;
    }
    let rest = text.slice(start);
    while (rest.length > MAX_LINE_CHARS) {
      // cut before a surrogate pair's second half, never inside the pair
      const cut = isHighSurrogate(rest.charCodeAt(MAX_LINE_CHARS - 1)) ? MAX_LINE_CHARS - 1 : MAX_LINE_CHARS;
      out.push(objectText({ kind: "line", stream: this.stream, line: rest.slice(0, cut), partial: true }));
      rest = rest.slice(cut);
    }
    if (final && rest.length > 0) this.emit(out, rest);
    this.partial = final ? "" : rest;
    return out;
  }

  private emit(out: DataText[], line: string): void {
    while (line.length > MAX_LINE_CHARS) {
      const cut = isHighSurrogate(line.charCodeAt(MAX_LINE_CHARS - 1)) ? MAX_LINE_CHARS - 1 : MAX_LINE_CHARS;
      out.push(objectText({ kind: "line", stream: this.stream, line: line.slice(0, cut), partial: true }));
      line = line.slice(cut);
    }
    out.push(objectText({ kind: "line", stream: this.stream, line }));
  }
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;

/** The command as a person would type it (for the terminal lines). */
function shellWords(words: string[]): string {
  return words.map((w) => (/^[A-Za-z0-9_./:@%+=,-]+$/.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`)).join(" ");
}
