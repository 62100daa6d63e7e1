// `pls poke POOL [DATA]`: append one JSON object, or ingest a stream from stdin / --file with group commit.
import { defineCommand } from "citty";
import { PlasmiteError } from "../../errors.ts";
import { validateMessage, type Receipt } from "../../api/client.ts";
import { collectRepeated } from "../args.ts";
import { openPool } from "../pools.ts";
import { isRemote, remoteFlags, remotePool } from "../remote.ts";
import { DEFAULT_MAX_RECORD_BYTES, RecordSplitter, type InputMode, type ParsedRecord, type RecordError, type RecordOk } from "../ingest.ts";
import { LineWriter, notice, printErrLine, printJson, stderrIsTTY, stdoutIsTTY } from "../output.ts";
import { isTerminal } from "../../platform/files.ts";
import { parseCount, parseDuration, parseSize } from "../values.ts";
import { ExitCode } from "../exit.ts";

type Durability = "fast" | "flush";

export default defineCommand({
  meta: {
    name: "poke",
    description: [
      "Append JSON objects to a pool (write).",
      "",
      "DATA is one JSON object. Without DATA, records are read from --file or piped stdin and appended as they",
      "arrive (each chunk read is committed at once under one lock).",
      "",
      "Examples:",
      `  pls poke chat --create '{"from": "alice", "msg": "hello bob"}'`,
      `  pls poke incidents --tag sev1 --tag billing '{"msg": "payment gateway timeout"}'`,
      "  tail -f app.log | pls poke logs --create",
      "  pls poke events --file events.jsonl --errors skip",
      `  pls poke http://host:9700/events --token-file serve-token.txt '{"kind": "deploy"}'`,
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
    ...remoteFlags,
  },
  async run({ args, rawArgs }) {
    const ref = String(args.pool);
    const tags = collectRepeated(rawArgs, "tag", "t");
    const durability = oneOf(args.durability, ["fast", "flush"], "--durability", "fast") as Durability;
    const mode = oneOf(args.in, ["auto", "jsonl", "json", "seq", "jq"], "--in", "auto") as InputMode;
    const errorPolicy = oneOf(args.errors, ["stop", "skip"], "--errors", "stop");
    const retries = args.retry === undefined ? 0 : parseCount(String(args.retry), "--retry");
    if (args["retry-delay"] !== undefined && retries === 0) throw new PlasmiteError("Usage", "--retry-delay requires --retry", { hint: "Example: --retry 3 --retry-delay 100ms" });
    const retryDelayMs = args["retry-delay"] === undefined ? 50 : parseDuration(String(args["retry-delay"]), "--retry-delay");
    if (args["create-size"] !== undefined && !args.create) throw new PlasmiteError("Usage", "--create-size requires --create");
    if (mode === "jq" && errorPolicy === "skip") throw new PlasmiteError("Usage", "--errors skip is not supported with --in jq", { hint: "Use --in jsonl for line-delimited input." });
    const maxRecordBytes = args["max-record-bytes"] === undefined ? DEFAULT_MAX_RECORD_BYTES : parseSize(String(args["max-record-bytes"]), "--max-record-bytes");
    const createSize = args["create-size"] === undefined ? undefined : parseSize(String(args["create-size"]), "--create-size");
    const retry = <T>(fn: () => T | Promise<T>) => withRetry(fn, retries, retryDelayMs);

    const target: PokeTarget = isRemote(ref) ? await remoteTarget(ref, args, Boolean(args.create), createSize) : null;
    if (args.data !== undefined) {
      if (args.file !== undefined) throw new PlasmiteError("Usage", "give DATA or --file, not both");
      const data = parseSingle(String(args.data));
      validateMessage(data, tags);
      if (target) {
        const m = await withRetry(() => target.append([{ data, tags }], durability), retries, retryDelayMs);
        return printJson({ seq: m[0].seq, time: m[0].time, meta: { tags: m[0].tags } });
      }
      const pool = openPool(ref, args.create ? { sizeBytes: createSize } : undefined);
      const [receipt] = await retry(() => pool.appendBatchReceipts([{ data, tags }], { durability }));
      printJson({ seq: receipt.seq, time: receipt.time, meta: { tags: receipt.tags } });
      pool.close();
      return;
    }

    const source = streamSource(args.file === undefined ? undefined : String(args.file));
    const pool = target ? null : openPool(ref, args.create ? { sizeBytes: createSize } : undefined);
    const sink: Sink = target ?? {
      path: pool!.path,
      atomicBatches: true,
      append: async (records, d) => retry(() => pool!.appendBatchReceipts(records, { durability: d })),
    };
    const summary = await ingest(sink, source, { tags, durability, mode, errorPolicy, maxRecordBytes, retry, ref });
    pool?.close();
    if (summary.appended + summary.failed === 0) {
      throw new PlasmiteError("Usage", "missing data input: the stream held no records", { hint: `Provide JSON as DATA, --file, or pipe JSON to stdin, e.g. pls poke ${ref} '{"x":1}'.` });
    }
    if (summary.failed > 0) throw new ExitCode(1);
  },
});

function oneOf(value: unknown, options: string[], flag: string, fallback: string): string {
  if (value === undefined) return fallback;
  const v = String(value);
  if (!options.includes(v)) throw new PlasmiteError("Usage", `invalid value for ${flag}: '${v}'`, { hint: `Use one of: ${options.join(", ")}.` });
  return v;
}

function parseSingle(text: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new PlasmiteError("Usage", `invalid JSON: ${(err as Error).message}`, { hint: `Provide a single JSON object, e.g. '{"x":1}'.` });
  }
  validateMessage(data, []);
  return data;
}

function streamSource(file: string | undefined): ReadableStream<Uint8Array> {
  if (file === undefined || file === "-") {
    if (file === undefined && isTerminal(0)) {
      throw new PlasmiteError("Usage", "missing data input", { hint: "Provide JSON via DATA, --file, or pipe JSON to stdin." });
    }
    return Bun.stdin.stream();
  }
  const f = Bun.file(file);
  return f.stream();
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

interface IngestOptions {
  tags: string[];
  durability: Durability;
  mode: InputMode;
  errorPolicy: string;
  maxRecordBytes: number;
  retry: <T>(fn: () => T | Promise<T>) => Promise<T>;
  ref: string;
}

/** Where ingested records go: a local pool (one lock per batch) or a remote one (one request per record). */
interface Sink {
  path: string;
  /** True when a refused batch wrote nothing (a local pool); a remote pool appends record by record. */
  atomicBatches: boolean;
  append(records: Array<{ data: Record<string, unknown>; tags: string[] }>, durability: Durability): Promise<Receipt[]>;
}
type PokeTarget = Sink | null;

async function remoteTarget(ref: string, args: Record<string, unknown>, create: boolean, createSize: number | undefined): Promise<Sink> {
  const pool = await remotePool(ref, args);
  const appendOne = async (r: { data: Record<string, unknown>; tags: string[] }, d: Durability): Promise<Receipt> => {
    try {
      const m = await pool.append(r.data, { tags: r.tags, durability: d });
      return { seq: m.seq, time: m.time, tags: m.meta.tags };
    } catch (err) {
      if (!create || !(err instanceof PlasmiteError) || err.kind !== "NotFound") throw err;
      await pool.client.createPool(pool.name, { sizeBytes: createSize }).catch((e: unknown) => {
        if (!(e instanceof PlasmiteError) || e.kind !== "AlreadyExists") throw e;
      });
      create = false;
      return appendOne(r, d);
    }
  };
  return {
    path: pool.path,
    atomicBatches: false,
    append: async (records, d) => {
      const out: Receipt[] = [];
      for (const r of records) out.push(await appendOne(r, d));
      return out;
    },
  };
}

/**
 * Group commit: every chunk read from the source is parsed and its complete records appended under one lock
 * right away, so a slow producer's line reaches followers at once and a fast one gets batches.
 */
async function ingest(pool: Sink, source: ReadableStream<Uint8Array>, o: IngestOptions) {
  const splitter = new RecordSplitter(o.mode, o.maxRecordBytes);
  // fatal: invalid UTF-8 is refused, never stored as U+FFFD replacement characters
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const decode = (chunk?: Uint8Array) => {
    try {
      return chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode();
    } catch {
      throw new PlasmiteError("Usage", `input is not valid UTF-8 (after ${appended} appended record(s))`, { hint: "JSON text must be UTF-8; convert it first (e.g. iconv -t UTF-8)." });
    }
  };
  // Receipts go to stdout when it is piped (script-stable); on a terminal a summary is enough.
  const receipts = stdoutIsTTY() ? null : new LineWriter();
  const progress = stderrIsTTY() ? new Progress() : null;
  const tagsJson = JSON.stringify(o.tags);
  let appended = 0;
  let failed = 0;
  let firstSeq = 0;
  let lastSeq = 0;

  const skip = (r: RecordError) => {
    failed++;
    notice("ingest_skip", "poke", o.ref, `skipped record ${r.index}: ${r.message}`, {
      mode: splitter.effectiveMode,
      index: r.index,
      error_kind: r.kind,
      pool_path: pool.path,
      ...(r.line !== undefined ? { line: r.line } : {}),
      snippet: r.snippet,
    });
  };
  const fail = async (r: RecordError): Promise<never> => {
    await receipts?.flush();
    progress?.done();
    const where = r.line !== undefined ? ` (line ${r.line})` : "";
    throw new PlasmiteError("Usage", `${r.message} in record ${r.index}${where}: ${r.snippet}`, {
      hint: `${appended} record(s) before it were appended. Use --errors skip to continue past bad records, or --in to pick the input format.`,
    });
  };
  const recordAppended = (out: Receipt[]) => {
    appended += out.length;
    if (!firstSeq) firstSeq = out[0].seq;
    lastSeq = out[out.length - 1].seq;
    if (receipts) for (const r of out) receipts.push(`{"seq":${r.seq},"time":"${r.time}","meta":{"tags":${tagsJson}}}\n`);
    progress?.update(appended);
  };
  const isRefusal = (err: unknown) => err instanceof PlasmiteError && err.kind === "Usage";
  /** Appends good records in one batch; if the pool refuses one (e.g. too large for it), finds it and keeps the rest. */
  const appendRun = async (run: RecordOk[]): Promise<RecordError | null> => {
    if (run.length === 0) return null;
    if (pool.atomicBatches) {
      try {
        recordAppended(await pool.append(run.map((r) => ({ data: r.data, tags: o.tags })), o.durability));
        return null;
      } catch (err) {
        if (!isRefusal(err)) throw err; // a refused batch wrote nothing: retry record by record below
      }
    }
    for (const r of run) {
      try {
        recordAppended(await pool.append([{ data: r.data, tags: o.tags }], o.durability));
      } catch (err) {
        if (!isRefusal(err)) throw err;
        const text = JSON.stringify(r.data);
        const bad: RecordError = { ok: false, index: r.index, kind: "Oversize", message: (err as PlasmiteError).message, snippet: text.length > 200 ? text.slice(0, 200) + "..." : text };
        if (o.errorPolicy === "stop") return bad;
        skip(bad);
      }
    }
    return null;
  };

  const commit = async (records: ParsedRecord[]) => {
    let run: RecordOk[] = [];
    for (const r of records) {
      if (r.ok) {
        run.push(r);
        continue;
      }
      const refused = await appendRun(run);
      run = [];
      if (refused) return fail(refused);
      if (o.errorPolicy === "stop") return fail(r);
      skip(r);
    }
    const refused = await appendRun(run);
    if (refused) return fail(refused);
    await receipts?.flush();
  };

  for await (const chunk of source) {
    await commit(splitter.push(decode(chunk)));
  }
  await commit(splitter.push(decode()).concat(splitter.end()));
  progress?.done();
  if (failed > 0) {
    notice("ingest_summary", "poke", o.ref, `finished with ${failed} skipped record(s)`, { total: appended + failed, ok: appended, failed, pool_path: pool.path });
  }
  if (stdoutIsTTY() && appended > 0) printErrLine(`appended ${appended} message(s) to ${o.ref} (seq ${firstSeq}..${lastSeq})`);
  return { appended, failed };
}

/** A once-a-second "ingested N records" line on a terminal's stderr for long ingests. */
class Progress {
  private last = Date.now();
  private shown = false;
  private readonly start = Date.now();

  update(count: number): void {
    const now = Date.now();
    if (now - this.last < 1000) return;
    this.last = now;
    this.shown = true;
    const rate = Math.round(count / ((now - this.start) / 1000));
    process.stderr.write(`\r\x1b[2Kingested ${count.toLocaleString("en-US")} records (${rate.toLocaleString("en-US")}/s)`);
  }

  done(): void {
    if (this.shown) process.stderr.write("\r\x1b[2K");
    this.shown = false;
  }
}

export { DEFAULT_MAX_RECORD_BYTES };
