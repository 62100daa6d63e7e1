// `pls poke` without DATA: records from piped stdin or --file, appended with group commit. Loaded only for a
// stream, so a one-shot poke does not pay for the splitter, receipts and progress code.
import { PlasmiteError } from "../../errors.ts";
import type { PoolHandle, PoolInfo } from "../../api/client.ts";
import { ExitCode } from "../exit.ts";
import { RecordSplitter, type InputMode, type ParsedRecord, type RecordError, type RecordOk } from "../ingest.ts";
import { ReceiptLines } from "../receipts.ts";
import { colorOn, notice, printErrLine, stderrIsTTY, stdoutIsTTY, writeErr } from "../output.ts";
import { isTerminal } from "../../platform/files.ts";
import { MAX_POOL_SIZE_BYTES, type CheckedTags, type DataText } from "../../api/message-text.ts";

export type Durability = "fast" | "flush";

export function streamSource(file: string | undefined): ReadableStream<Uint8Array> {
  if (file === undefined || file === "-") {
    if (file === undefined && isTerminal(0)) {
      throw new PlasmiteError("Usage", "missing data input", { hint: "Provide JSON via DATA, --file, or pipe JSON to stdin." });
    }
    return Bun.stdin.stream();
  }
  const f = Bun.file(file);
  return f.stream();
}

/**
 * The stream half of `pls poke`: records from `file` (or piped stdin) into a remote `sink` or the `local` pool,
 * each read committed under one lock. Throws Usage for an empty stream, ExitCode 1 when records were skipped.
 */
export async function pokeStream(remote: Sink | null, local: PoolHandle | null, file: string | undefined, o: IngestOptions & { retries: number }): Promise<void> {
  // a local pool deleted or replaced while the input is idle ends the ingest too (within LINK_CHECK_MS)
  const source = local ? endWhenUnlinked(streamSource(file), local, o.ref) : streamSource(file);
  const texts: DataText[] = [];
  const times: number[] = [];
  const sink: Sink = remote ?? {
    path: local!.path,
    atomicBatches: true,
    info: () => local!.info(),
    append: (records, d, log) => {
      texts.length = records.length;
      let ascii = true;
      for (let i = 0; i < records.length; i++) {
        texts[i] = records[i].text;
        ascii &&= records[i].ascii;
      }
      const once = () => {
        times.length = 0;
        const first = local!.appendDataTexts(texts, o.tags, d, times, ascii);
        // a receipt says the pool holds the record: not so if the file written is no longer the pool's
        if (!local!.stillLinked()) throw poolUnlinked(local!, o.ref, records.length);
        log.run(first, times);
      };
      return o.retries === 0 ? once() : o.retry(once);
    },
  };
  const summary = await ingest(sink, source, o);
  local?.close();
  if (summary.appended + summary.failed === 0) {
    throw new PlasmiteError("Usage", "missing data input: the stream held no records", { hint: `Provide JSON as DATA, --file, or pipe JSON to stdin, e.g. pls ${o.command} ${o.ref} '{"x":1}'.` });
  }
  if (summary.failed > 0) throw new ExitCode(1);
}

/** How often an idle stream checks that its local pool is still the file it writes (stillLinked). */
const LINK_CHECK_MS = 1000;

/** `source`, failing with poolUnlinked once `local`'s file is deleted or replaced, checked every LINK_CHECK_MS. */
function endWhenUnlinked(source: ReadableStream<Uint8Array>, local: PoolHandle, ref: string): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let timer: ReturnType<typeof setInterval> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        timer = setInterval(() => {
          if (local.stillLinked()) return;
          clearInterval(timer);
          controller.error(poolUnlinked(local, ref, 0));
          reader.cancel().catch(() => {});
        }, LINK_CHECK_MS);
        timer.unref();
      },
      async pull(controller) {
        const { value, done } = await reader.read();
        try {
          if (done) {
            clearInterval(timer);
            controller.close();
          } else controller.enqueue(value);
        } catch {
          // errored by the timer meanwhile: the reader already has the error
        }
      },
      cancel(reason) {
        clearInterval(timer);
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

function poolUnlinked(local: PoolHandle, ref: string, lost: number): PlasmiteError {
  const what = lost > 0 ? `: the last ${lost} record(s) went to the removed file and are not in the pool` : "";
  return new PlasmiteError("NotFound", `pool ${ref} was deleted or replaced while this poke was writing to it${what}`, {
    path: local.path,
    hint: "Receipts were printed only for records the pool holds. Create the pool again (or pass --create) and send the rest.",
  });
}

export interface IngestOptions {
  tags: CheckedTags;
  durability: Durability;
  mode: InputMode;
  errorPolicy: string;
  /** Largest record; default DEFAULT_MAX_RECORD_BYTES. */
  maxRecordBytes?: number;
  retry: <T>(fn: () => T | Promise<T>) => Promise<T>;
  ref: string;
  /** The command as typed (poke, feed, duplex): notices name it. */
  command: string;
  /** No receipts, progress or summary (duplex: its stdout carries the pool's other messages). */
  quiet?: boolean;
}

/** Where ingested records go: a local pool (one lock per batch) or a remote one (one request per record). */
export interface Sink {
  path: string;
  /** True when a refused batch wrote nothing (a local pool); a remote pool appends record by record. */
  atomicBatches: boolean;
  /** Appends `records` in order (each record's `text`, with the ingest's tags) and reports them to `log`. */
  append(records: readonly RecordOk[], durability: Durability, log: AppendLog): void | Promise<void>;
  /** The pool's bounds and sizes now: what the ring kept of an ingest. */
  info(): PoolInfo | Promise<PoolInfo>;
}

/** What a sink reports for appended records. */
export interface AppendLog {
  /** Messages firstSeq, firstSeq + 1, …, with their times as high/low 32-bit pairs (see formatTimeParts). */
  run(firstSeq: number, times: readonly number[]): void;
  one(seq: number, time: string): void;
}

/**
 * Group commit: every chunk read from the source is parsed and its complete records appended under one lock
 * right away, so a slow producer's line reaches followers at once and a fast one gets batches.
 */
export async function ingest(pool: Sink, source: ReadableStream<Uint8Array>, o: IngestOptions) {
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
  const receipts = o.quiet || stdoutIsTTY() ? null : new ReceiptLines(o.tags);
  const progress = !o.quiet && stderrIsTTY() ? new Progress() : null;
  let appended = 0;
  let failed = 0;
  let firstSeq = 0;
  let lastSeq = 0;

  const skip = (r: RecordError) => {
    failed++;
    notice("ingest_skip", o.command, o.ref, `skipped record ${r.index}: ${r.message}`, {
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
  const log: AppendLog = {
    run(first, times) {
      const count = times.length >>> 1;
      if (count === 0) return;
      appended += count;
      if (!firstSeq) firstSeq = first;
      lastSeq = first + count - 1;
      receipts?.pushRun(first, times);
      progress?.update(appended);
    },
    one(seq, time) {
      appended++;
      if (!firstSeq) firstSeq = seq;
      lastSeq = seq;
      receipts?.push(seq, time);
      progress?.update(appended);
    },
  };
  // Ctrl-C: say how far the ingest got (receipts flushed first), then exit 130. Nothing is appended after it.
  let interrupted = false;
  const onInterrupt = () => {
    if (interrupted) return;
    interrupted = true;
    void (async () => {
      progress?.done();
      await receipts?.flush();
      if (!o.quiet) await report(pool, o, { appended, firstSeq, lastSeq }, true).catch(() => {});
      process.exit(130);
    })();
  };
  process.on("SIGINT", onInterrupt);
  const isRefusal = (err: unknown) => err instanceof PlasmiteError && err.kind === "Usage";
  /** Appends good records in one batch; if the pool refuses one (e.g. too large for it), finds it and keeps the rest. */
  const appendRun = async (run: RecordOk[]): Promise<RecordError | null> => {
    if (run.length === 0) return null;
    if (pool.atomicBatches) {
      try {
        await pool.append(run, o.durability, log);
        return null;
      } catch (err) {
        if (!isRefusal(err)) throw err; // a refused batch wrote nothing: retry record by record below
      }
    }
    for (const r of run) {
      if (interrupted) return null;
      try {
        await pool.append([r], o.durability, log);
      } catch (err) {
        if (!isRefusal(err)) throw err;
        const bad: RecordError = { ok: false, index: r.index, kind: "Oversize", message: (err as PlasmiteError).message, snippet: r.text.length > 200 ? r.text.slice(0, 200) + "..." : r.text };
        if (o.errorPolicy === "stop") return bad;
        skip(bad);
      }
    }
    return null;
  };

  const commit = async (records: ParsedRecord[]) => {
    if (interrupted) return;
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
    const text = decode(chunk);
    // as many UTF-16 units as bytes: every byte was ASCII (a split multi-byte character would leave fewer)
    await commit(splitter.push(text, text.length === chunk.length));
  }
  await commit(splitter.push(decode()).concat(splitter.end()));
  if (interrupted) await new Promise(() => {}); // the interrupt handler reports and exits
  process.off("SIGINT", onInterrupt);
  progress?.done();
  if (failed > 0) {
    notice("ingest_summary", o.command, o.ref, `finished with ${failed} skipped record(s)`, { total: appended + failed, ok: appended, failed, pool_path: pool.path });
  }
  if (appended > 0 && !o.quiet) await report(pool, o, { appended, firstSeq, lastSeq }, false);
  return { appended, failed };
}

interface Appended {
  appended: number;
  firstSeq: number;
  lastSeq: number;
}

/** What the ring kept of an ingest's messages (seq firstSeq..lastSeq) once it ended, and a size that keeps them all. */
function retention(a: Appended, info: Pick<PoolInfo, "bounds" | "file_size">): { kept: number; overwritten: number; suggestedSize: string | null } {
  const oldest = info.bounds.oldest ?? a.lastSeq + 1; // empty: nothing of it is left
  // seqs of another writer's messages may sit in between: never count more than this ingest appended
  const kept = Math.max(0, Math.min(a.appended, a.lastSeq - Math.max(a.firstSeq, oldest) + 1));
  const overwritten = a.appended - kept;
  return { kept, overwritten, suggestedSize: overwritten > 0 && kept > 0 ? sizeToKeep(info.file_size * (a.appended / kept)) : null };
}

/** A --size comfortably above `bytes` (a quarter spare, the next power of two), or null beyond the largest pool. */
function sizeToKeep(bytes: number): string | null {
  let size = 64 * 1024;
  while (size < bytes * 1.25) size *= 2;
  if (size > MAX_POOL_SIZE_BYTES) return null;
  return size >= 1 << 30 ? `${size / (1 << 30)}G` : size >= 1 << 20 ? `${size / (1 << 20)}M` : `${size / 1024}K`;
}

/**
 * The ingest's last words, on stderr: on a terminal (stdout) a summary line, with a hint when the ring overwrote
 * some of what was appended; otherwise (receipts on stdout) a notice, only when something was overwritten or the
 * ingest was interrupted.
 */
async function report(pool: Sink, o: Pick<IngestOptions, "ref" | "command">, a: Appended, interrupted: boolean): Promise<void> {
  const ref = o.ref;
  const r = a.appended > 0 ? retention(a, await pool.info()) : { kept: 0, overwritten: 0, suggestedSize: null };
  const n = (count: number) => count.toLocaleString("en-US");
  const range = a.appended > 0 ? ` (seq ${a.firstSeq}..${a.lastSeq})` : "";
  const sizeHint = r.suggestedSize ? `pls pool create NAME --size ${r.suggestedSize}` : "more than the largest pool (--size 4G) holds: split the stream across pools";
  if (stdoutIsTTY()) {
    printErrLine(`${interrupted ? "interrupted: " : ""}appended ${n(a.appended)} message(s) to ${ref}${range}: ${n(r.kept)} kept, ${n(r.overwritten)} overwritten`);
    if (r.overwritten > 0) {
      const label = colorOn("stderr") ? "\x1b[33mhint:\x1b[39m" : "hint:";
      printErrLine(`${label} the pool is full and keeps only the newest; for all ${n(a.appended)}: ${sizeHint}`);
    }
    return;
  }
  if (!interrupted && r.overwritten === 0) return;
  const what = `appended ${a.appended} message(s)${range}: ${r.kept} kept, ${r.overwritten} overwritten`;
  const message = interrupted ? `interrupted: ${what}` : `${what} (the pool is full; for all of them: ${sizeHint})`;
  notice(interrupted ? "ingest_interrupted" : "ingest_overwritten", o.command, ref, message, {
    appended: a.appended,
    kept: r.kept,
    overwritten: r.overwritten,
    ...(a.appended > 0 ? { first_seq: a.firstSeq, last_seq: a.lastSeq } : {}),
    ...(r.suggestedSize ? { suggested_size: r.suggestedSize } : {}),
    pool_path: pool.path,
  });
}

/** Throttled "appended N messages" line on a terminal's stderr: from one second into an ingest, 4 times a second. */
class Progress {
  private readonly start = Date.now();
  private next = this.start + PROGRESS_AFTER_MS;
  private shown = false;

  update(count: number): void {
    const now = Date.now();
    if (now < this.next) return;
    this.next = now + PROGRESS_EVERY_MS;
    this.shown = true;
    const rate = Math.round(count / ((now - this.start) / 1000));
    writeErr(`\r\x1b[2Kappended ${count.toLocaleString("en-US")} messages (${rate.toLocaleString("en-US")}/s)`);
  }

  done(): void {
    if (this.shown) writeErr("\r\x1b[2K");
    this.shown = false;
  }
}

/** A short ingest shows no progress line at all. */
const PROGRESS_AFTER_MS = 1000;
const PROGRESS_EVERY_MS = 250;
