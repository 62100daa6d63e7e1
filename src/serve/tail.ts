// Tail streams of the remote protocol: JSON Lines (`/tail`) and Server-Sent Events (`/events`). Each stream
// holds one concurrency permit and one lease on its pool's watcher, and gives both back exactly once: at the
// end, on error, or as soon as the client disconnects (even on an idle pool).
import { asPlasmiteError } from "../errors.ts";
import type { CursorStart, PoolHandle, StoredMessage } from "../api/client.ts";
import { EnvelopeLines, envelopeJson } from "../wire/index.ts";
import { PROTOCOL_HEADER, PROTOCOL_VERSION, errorBody, usage } from "./http.ts";
import type { WatchLease } from "./watcher.ts";

/** SSE comment sent on idle streams so proxies and browsers keep the connection. */
const SSE_KEEPALIVE_MS = 15_000;
/** Least time between two progress records of a stream that is skipping messages (see tailResponse). */
const PROGRESS_INTERVAL_MS = 1000;

export type TailFormat = "jsonl" | "sse";

export interface TailParams {
  start: CursorStart;
  max?: number;
  timeoutMs: number;
  tags: string[];
  gapPolicy: "continue" | "error";
  /** JSON Lines: also send `{"progress":{"scanned_seq":N}}` records (asked with progress=1). */
  progress: boolean;
}

function intParam(url: URL, name: string, min: number): number | undefined {
  const v = url.searchParams.get(name);
  if (v === null || v === "") return undefined;
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v)) || Number(v) < min) throw usage(`invalid ${name} '${v.slice(0, 40)}'`, `${name} must be an integer >= ${min}.`);
  return Number(v);
}

/**
 * Query: since_seq (inclusive), last (N newest), since_time_ms (Unix ms), from=oldest|live (default oldest,
 * as the Rust server), max,
 * timeout_ms (total stream time, at most the server limit), tag (repeatable, all must match),
 * gap_policy=continue|error, progress=1 (JSON Lines progress records). For SSE, a Last-Event-ID header resumes
 * after that seq.
 */
export function parseTailParams(url: URL, headers: Headers, maxTimeoutMs: number): TailParams {
  const sinceSeq = intParam(url, "since_seq", 0);
  const last = intParam(url, "last", 0);
  const sinceTimeMs = intParam(url, "since_time_ms", 0);
  const from = url.searchParams.get("from") ?? "oldest";
  if (from !== "oldest" && from !== "live") throw usage(`invalid from '${from.slice(0, 40)}'`, "Use from=oldest or from=live.");
  const lastEventId = headers.get("last-event-id");
  if (lastEventId && (!/^\d+$/.test(lastEventId) || !Number.isSafeInteger(Number(lastEventId)))) throw usage(`invalid Last-Event-ID '${lastEventId.slice(0, 40)}'`, "Last-Event-ID is the seq of the last event received.");
  const resumeAfter = lastEventId ? Number(lastEventId) : undefined;
  if ([sinceSeq, last, sinceTimeMs].filter((v) => v !== undefined).length > 1) throw usage("use only one of since_seq, last and since_time_ms");
  const start: CursorStart =
    resumeAfter !== undefined
      ? { seq: resumeAfter + 1 }
      : sinceSeq !== undefined
        ? { seq: Math.max(1, sinceSeq) }
        : last !== undefined
          ? { last }
          : sinceTimeMs !== undefined
            ? { timeNs: BigInt(sinceTimeMs) * 1_000_000n }
            : from === "live"
            ? { newest: true }
            : { oldest: true };
  const timeoutMs = intParam(url, "timeout_ms", 0) ?? maxTimeoutMs;
  if (timeoutMs > maxTimeoutMs) throw usage("tail timeout exceeds server limit", `Use timeout_ms <= ${maxTimeoutMs}.`);
  const gap = url.searchParams.get("gap_policy") ?? "continue";
  if (gap !== "continue" && gap !== "error") throw usage("invalid tail gap policy", "Use gap_policy=continue or gap_policy=error.");
  const tags = url.searchParams.getAll("tag").map((t) => t.trim()).filter((t) => t !== "");
  const progress = url.searchParams.get("progress") ?? "0";
  if (progress !== "0" && progress !== "1") throw usage(`invalid progress '${progress.slice(0, 40)}'`, "Use progress=1 (or 0).");
  return { start, max: intParam(url, "max", 1), timeoutMs, tags, gapPolicy: gap, progress: progress === "1" };
}

/**
 * Builds the streaming response from the library's follow engine; `done` runs exactly once when the stream ends
 * for any reason.
 *
 * A backlog is read at full speed, a batch at a time with a turn of the event loop in between; the engine sleeps
 * on the pool's watcher only once it has read everything. When a tag filter skips messages, the client is told
 * how far the scan got (at most every PROGRESS_INTERVAL_MS, and when the stream ends), so its next connection
 * resumes after them instead of scanning them again: an SSE block with only `id: N` (no event is dispatched, the
 * browser's Last-Event-ID becomes N) or, with progress=1, a JSON Lines record `{"progress":{"scanned_seq":N}}`.
 */
export function tailResponse(format: TailFormat, handle: PoolHandle, fromSeq: number, p: TailParams, lease: WatchLease, signal: AbortSignal, done: () => void, extraHeaders: Record<string, string>): Response {
  const chunks = new EnvelopeLines();
  let finished = false;
  // SSE starts with a comment so the response (and its headers) goes out at once, even on an idle pool.
  if (format === "sse") chunks.pushText(": ok\n\n");
  let lastActivity = performance.now();
  // Every seq up to reportedSeq was sent or skipped, and the client knows it (a message line or a progress record).
  let reportedSeq = fromSeq - 1;
  let reportedAt = lastActivity;
  let scannedSeq = reportedSeq;
  const progressOn = format === "sse" || p.progress;
  const ac = new AbortController();
  const finish = () => {
    if (finished) return;
    finished = true;
    signal.removeEventListener("abort", onAbort);
    ac.abort();
    lease.release();
    done();
  };
  const onAbort = () => finish();
  signal.addEventListener("abort", onAbort, { once: true });
  const events = handle.follow({
    start: { seq: fromSeq },
    tags: p.tags,
    max: p.max,
    deadline: performance.now() + p.timeoutMs,
    signal: ac.signal,
    gapPolicy: p.gapPolicy, // the default policy continues from the oldest retained message
    waiter: { mark: () => lease.generation(), wait: (ms, s, gen) => lease.wait(ms, s, gen) },
    tickMs: format === "sse" ? SSE_KEEPALIVE_MS : PROGRESS_INTERVAL_MS,
    reusePayloads: true, // each batch is encoded into `chunks` before the next is read
  });

  const line = (m: StoredMessage) => {
    reportedSeq = m.seq;
    if (format === "jsonl") chunks.pushEnvelope(m, "\n");
    else chunks.pushText(`id: ${m.seq}\nevent: message\ndata: ${envelopeJson(m)}\n\n`);
  };
  /** Reports the scan's position when messages were skipped since the last line (or `force`d, at the end). */
  const progressLine = (now: number, force: boolean) => {
    if (!progressOn || scannedSeq <= reportedSeq || (!force && now - reportedAt < PROGRESS_INTERVAL_MS)) return;
    reportedSeq = scannedSeq;
    reportedAt = now;
    chunks.pushText(format === "jsonl" ? `{"progress":{"scanned_seq":${scannedSeq}}}\n` : `id: ${scannedSeq}\n\n`);
  };
  const errorLine = (err: unknown) => {
    const body = JSON.stringify(errorBody(err));
    chunks.pushText(format === "jsonl" ? body + "\n" : `event: error\ndata: ${body}\n\n`);
  };

  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        for (;;) {
          if (finished) return controller.close();
          const r = await events.next();
          const now = performance.now();
          const e = r.done ? null : r.value;
          if (e === null || e.kind === "end") {
            // after `max` messages nothing was skipped since; an aborted stream has no reader left
            if (e?.reason === "timeout") {
              scannedSeq = e.scannedSeq;
              progressLine(now, true);
            }
            if (chunks.length > 0) controller.enqueue(chunks.take());
            finish();
            return controller.close();
          }
          scannedSeq = e.scannedSeq;
          if (e.kind === "batch") for (const m of e.messages) line(m);
          progressLine(now, false);
          if (chunks.length > 0) reportedAt = now;
          if (e.kind === "idle" && format === "sse" && chunks.length === 0 && now - lastActivity >= SSE_KEEPALIVE_MS) chunks.pushText(": keepalive\n\n");
          if (chunks.length > 0) {
            controller.enqueue(chunks.take());
            lastActivity = now;
            return; // delivered: wait for the consumer to pull again
          }
          // more to read now: let other requests run, then go on
          if (e.kind === "batch") await new Promise<void>((resolve) => setImmediate(resolve));
        }
      } catch (err) {
        // An error after the stream started ends it with one final error line, not a silent cut.
        errorLine(asPlasmiteError(err));
        if (chunks.length > 0) controller.enqueue(chunks.take());
        finish();
        controller.close();
      }
    },
    cancel() {
      finish();
      void events.return(undefined);
    },
  });
  const contentType = format === "jsonl" ? "application/jsonl" : "text/event-stream";
  return new Response(stream, {
    headers: {
      "content-type": contentType,
      "cache-control": "no-cache, no-transform",
      [PROTOCOL_HEADER]: PROTOCOL_VERSION,
      ...(format === "sse" ? { connection: "keep-alive", "x-accel-buffering": "no" } : {}),
      ...extraHeaders,
    },
  });
}
