// `pls poke POOL [DATA]`: append one JSON object, or ingest a stream from stdin / --file with group commit.
import { PlasmiteError } from "../../errors.ts";
import { checkedTags, dataText, type CheckedTags, type DataText } from "../../api/message-text.ts";
import { receiptOf, type Receipt } from "../../wire/index.ts";
import { collectRepeated, defineCommand } from "../args.ts";
import { lockTimeoutFrom, openPool } from "../pools.ts";
import { isRemote, rejectRemoteFlags, remoteFlags, remotePool } from "../remote.ts";
import type { InputMode } from "../ingest.ts";
import type { Sink } from "./poke-stream.ts";
import { printJson } from "../output.ts";

type Durability = "fast" | "flush";
/** A remote pool: one request per record. */
interface RemoteTarget {
  appendOne(dataText: DataText, tags: CheckedTags, durability: Durability): Promise<Receipt>;
  sink: Sink;
}

export default defineCommand({
  meta: {
    name: "poke",
    description: [
      "Write: append JSON objects to a pool (also: feed).",
      "",
      "DATA is one JSON object. Without DATA, records are read from --file or piped stdin and appended as they",
      "arrive (each chunk read is committed at once under one lock).",
      "",
      "Examples:",
      `  pls poke chat --create '{"from": "alice", "msg": "hello bob"}'`,
      `  pls poke incidents --tag sev1 --tag billing '{"msg": "payment gateway timeout"}'`,
      "  tail -f app.log | pls poke logs --create",
      "  pls poke events --file events.jsonl --errors skip",
      `  pls poke http://host:9700/events --token-file plasmite-auth-token.txt '{"kind": "deploy"}'`,
    ].join("\n"),
  },
  args: {
    pool: { type: "positional", description: "Pool name or path", required: true },
    data: { type: "positional", description: "JSON object (omit to read a stream)", required: false },
    tag: { type: "string", alias: "t", description: "Tag to attach (repeatable)" },
    file: { type: "string", alias: "f", description: "Read records from FILE ('-' for stdin)" },
    create: { type: "boolean", description: "Create the pool if it does not exist" },
    "create-size": { type: "string", description: "Size for --create (default 1M)" },
    durability: { type: "string", description: "fast (default) or flush (msync before returning)" },
    retry: { type: "string", description: "Retry a busy or failed append N times (default 0)" },
    "retry-delay": { type: "string", description: "Delay between retries (default 50ms)" },
    in: { type: "string", alias: "i", description: "Stream format: auto (default), jsonl, json, seq, jq" },
    errors: { type: "string", alias: "e", description: "On a bad record: stop (default, exit 2) or skip (notice, exit 1 at the end)" },
    "max-record-bytes": { type: "string", description: "Largest stream record (default 1M)" },
    "lock-timeout": { type: "string", description: "MS to wait for another writer's lock before failing Busy (default 5000; env PLASMITE_LOCK_TIMEOUT_MS)" },
    ...remoteFlags,
  },
  run({ args, rawArgs, cmd }) {
    const ref = String(args.pool);
    // `feed` is this command under its v0.3 name: messages name the command as typed
    const command = (cmd?.meta as { name?: string } | undefined)?.name ?? "poke";
    const o = pokeOptions(args, rawArgs, command);
    const remote = isRemote(ref);
    if (!remote) rejectRemoteFlags(args, ref);
    // A local one-shot poke without --retry runs synchronously from here to its output: no async function
    // and no promise on the path most pokes take (their first use is measurable start-up).
    if (args.data !== undefined && args.file === undefined && o.retries === 0 && !remote) {
      return pokeOneLocal(ref, parseSingle(String(args.data)), o, args.create ? { sizeBytes: o.createSize } : undefined);
    }
    return pokeAsync(ref, args, o);
  },
});

type PokeArgs = Record<string, unknown>;

/** Every flag of a poke, checked (Usage errors) before anything is read or opened. */
interface PokeOptions {
  /** Checked here, with the other flags: a bad --tag fails before DATA is read or a pool opened. */
  tags: CheckedTags;
  durability: Durability;
  mode: InputMode;
  errorPolicy: "stop" | "skip";
  retries: number;
  retryDelayMs: number;
  maxRecordBytes: number | undefined;
  createSize: number | undefined;
  /** Local pools only; undefined: the library's default. */
  lockTimeoutMs: number | undefined;
  /** The command as typed (poke or feed), for hints and notices. */
  command: string;
}

function pokeOptions(args: PokeArgs, rawArgs: string[], command: string): PokeOptions {
  const tags = checkedTags(collectRepeated(rawArgs, "tag", "t"));
  const durability = oneOf(args.durability, ["fast", "flush"], "--durability", "fast") as Durability;
  const mode = oneOf(args.in, ["auto", "jsonl", "json", "seq", "jq"], "--in", "auto") as InputMode;
  const errorPolicy = oneOf(args.errors, ["stop", "skip"], "--errors", "stop") as "stop" | "skip";
  // flag values are parsed by a module loaded only when such a flag is given (a plain poke has none)
  const values = () => require("../values.ts") as typeof import("../values.ts");
  const retries = args.retry === undefined ? 0 : values().parseCount(String(args.retry), "--retry");
  if (args["retry-delay"] !== undefined && retries === 0) throw new PlasmiteError("Usage", "--retry-delay requires --retry", { hint: "Example: --retry 3 --retry-delay 100ms" });
  const retryDelayMs = args["retry-delay"] === undefined ? 50 : values().parseDuration(String(args["retry-delay"]), "--retry-delay");
  if (args["create-size"] !== undefined && !args.create) throw new PlasmiteError("Usage", "--create-size requires --create");
  if (mode === "jq" && errorPolicy === "skip") throw new PlasmiteError("Usage", "--errors skip is not supported with --in jq", { hint: "Use --in jsonl for line-delimited input." });
  const maxRecordBytes = args["max-record-bytes"] === undefined ? undefined : values().parseSize(String(args["max-record-bytes"]), "--max-record-bytes");
  const createSize = args["create-size"] === undefined ? undefined : values().parseSize(String(args["create-size"]), "--create-size");
  const lockTimeoutMs = lockTimeoutFrom(args["lock-timeout"]);
  return { tags, durability, mode, errorPolicy, retries, retryDelayMs, maxRecordBytes, createSize, lockTimeoutMs, command };
}

/** Appends DATA's text to a local pool and prints the receipt. */
function pokeOneLocal(ref: string, text: DataText, o: PokeOptions, create: { sizeBytes?: number } | undefined): void {
  const pool = openPool(ref, create, o.lockTimeoutMs);
  try {
    const times: number[] = [];
    const seq = pool.appendDataTexts([text], o.tags, o.durability, times);
    printJson(receiptOf(seq, times[0], times[1], o.tags));
  } finally {
    pool.close();
  }
}

/** Every other poke: remote pools, --retry, and streams from stdin or --file. */
async function pokeAsync(ref: string, args: PokeArgs, o: PokeOptions): Promise<void> {
  const { tags, durability, retries, retryDelayMs } = o;
  const retry = <T>(fn: () => T | Promise<T>) => withRetry(fn, retries, retryDelayMs);
  if (args["lock-timeout"] !== undefined && isRemote(ref)) {
    throw new PlasmiteError("Usage", "--lock-timeout applies to local pools", { hint: "A server bounds its own waits: pls serve --lock-timeout MS." });
  }
  if (args.data === undefined) {
    // a stream's input is checked before any pool is opened or created: a missing --file creates nothing
    const { checkStreamInput } = await import("../stream-input.ts");
    checkStreamInput(args.file === undefined ? undefined : String(args.file));
  }
  const target: RemoteTarget | null = isRemote(ref) ? await remoteTarget(ref, args, tags, Boolean(args.create), o.createSize) : null;
  if (args.data !== undefined) {
    if (args.file !== undefined) throw new PlasmiteError("Usage", "give DATA or --file, not both");
    const text = parseSingle(String(args.data));
    if (target) {
      const m = await retry(() => target.appendOne(text, tags, durability));
      return printJson(m);
    }
    // --retry: each attempt opens (and creates) afresh, as a separate poke would
    return retry(() => pokeOneLocal(ref, text, o, args.create ? { sizeBytes: o.createSize } : undefined));
  }

  const { pokeStream } = await import("./poke-stream.ts");
  const local = target ? null : openPool(ref, args.create ? { sizeBytes: o.createSize } : undefined, o.lockTimeoutMs);
  await pokeStream(target?.sink ?? null, local, args.file === undefined ? undefined : String(args.file), { tags, durability, mode: o.mode, errorPolicy: o.errorPolicy, maxRecordBytes: o.maxRecordBytes, retries, retry, ref, command: o.command });
}

function oneOf(value: unknown, options: string[], flag: string, fallback: string): string {
  if (value === undefined) return fallback;
  const v = String(value);
  if (!options.includes(v)) throw new PlasmiteError("Usage", `invalid value for ${flag}: '${v}'`, { hint: `Use one of: ${options.join(", ")}.` });
  return v;
}

/** DATA as the text to store (see dataText): a JSON object, checked before any pool is touched. */
function parseSingle(text: string): DataText {
  let data: unknown;
  const trimmed = text.trim();
  try {
    data = JSON.parse(trimmed);
  } catch (err) {
    throw new PlasmiteError("Usage", `invalid JSON: ${(err as Error).message}`, { hint: `Provide a single JSON object, e.g. '{"x":1}'.` });
  }
  return dataText(data, trimmed);
}

/** Runs `fn`, retrying Busy and Io failures `retries` times, `delayMs` apart. */
async function withRetry<T>(fn: () => T | Promise<T>, retries: number, delayMs: number): Promise<T> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const retryable = err instanceof PlasmiteError && (err.kind === "Busy" || err.kind === "Io");
      if (!retryable || attempt >= retries) {
        if (retryable && retries > 0) {
          throw new PlasmiteError(err.kind, err.message, { path: err.path, hint: `${err.hint ? err.hint + " " : ""}Retry attempts: ${retries} (waited ${Date.now() - started}ms).` });
        }
        throw err;
      }
      await Bun.sleep(delayMs);
    }
  }
}

async function remoteTarget(ref: string, args: Record<string, unknown>, tags: CheckedTags, create: boolean, createSize: number | undefined): Promise<RemoteTarget> {
  const pool = await remotePool(ref, args);
  const appendOne = async (dataText: DataText, tags: CheckedTags, d: Durability): Promise<Receipt> => {
    try {
      const m = await pool.appendDataText(dataText, { tags, durability: d });
      return { seq: m.seq, time: m.time, meta: { tags: m.meta.tags } };
    } catch (err) {
      if (!create || !(err instanceof PlasmiteError) || err.kind !== "NotFound") throw err;
      await pool.client.createPool(pool.name, { sizeBytes: createSize }).catch((e: unknown) => {
        if (!(e instanceof PlasmiteError) || e.kind !== "AlreadyExists") throw e;
      });
      create = false;
      return appendOne(dataText, tags, d);
    }
  };
  return {
    appendOne,
    sink: {
      path: pool.path,
      atomicBatches: false,
      info: () => pool.info(),
      append: async (records, d, log) => {
        for (const r of records) {
          const m = await appendOne(r.text, tags, d);
          log.one(m.seq, m.time);
        }
      },
    },
  };
}
