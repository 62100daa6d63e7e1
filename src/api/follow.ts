// The one follow engine: turns a start, filters, stop conditions and a gap policy into batches of messages. Every
// local reader of a pool goes through it: the library's tail(), `pls peek`, the server's JSON Lines and SSE tails,
// and the MCP wait. The rules a reader sees are written here once: where history ends, `--one` with `--tail N`
// (stop-rules.ts, shared with peek of a remote pool), the idle timeout, the retention-gap report.
// Invariant: memory is bounded by one batch (HISTORY_BATCH messages); "the last N matches" is remembered as
// positions (src/pool/history.ts), never as N messages, and payloads are carved from shared blocks.
import { PlasmiteError } from "../errors.ts";
import type { Cursor, CursorStart, Drop } from "../pool/cursor.ts";
import { HISTORY_BATCH, historyBatchSize, readHistory } from "../pool/history.ts";
import type { Pool } from "../pool/pool.ts";
import type { StoredMessage } from "../pool/reader.ts";
import type { WhereFilter } from "../filter/where.ts";
import { payloadHasTags, wantedTags } from "../format/payload.ts";
import { EnvelopeLines, retentionGapError } from "../wire/index.ts";
import { StopRules } from "./stop-rules.ts";

/** How a follower sleeps when it has read everything: the cursor's own futex wait, or a shared watcher's. */
export interface Waiter {
  /** Taken before a read; passed to wait(), which then returns at once if anything was published since. */
  mark(): number;
  wait(timeoutMs: number, signal: AbortSignal | undefined, mark: number): Promise<void>;
}

export interface FollowOptions {
  /** Where reading begins. History is everything from there up to the newest message when following starts. */
  start: CursorStart;
  /** Every tag must be on a message. */
  tags?: readonly string[];
  /** --where expressions (jq runs in a worker: a slow expression never blocks the deadline). */
  where?: WhereFilter | null;
  /**
   * Stop after one message: the first match, or with a `{ last: N }` start the newest match once N matches exist
   * (history counting), as `pls peek --one --tail N`.
   */
  one?: boolean;
  /** Stop after this many matches. */
  max?: number;
  /** Stop when this long (ms) passes without a match; restarts at each batch of matches. */
  idleTimeoutMs?: number;
  /** Stop at this performance.now() time, whatever arrives (a server stream's total time). */
  deadline?: number;
  signal?: AbortSignal;
  /** "continue" (default) reports overwritten messages to onDrop and goes on; "error" throws RetentionGap. */
  gapPolicy?: "continue" | "error";
  onDrop?: (drop: Drop) => void;
  /** Stop where history ends (peek --replay, a read of what is there). */
  historyOnly?: boolean;
  /** Default: the cursor's futex wait (see Cursor.wait). */
  waiter?: Waiter;
  /** With the default waiter: false polls without counting this reader among the pool's waiters (--no-notify). */
  notify?: boolean;
  /** While waiting, an `idle` event at least this often (to check a reader, send a keepalive). */
  tickMs?: number;
  /** The pool file deleted or replaced ends the follow with NotFound carrying this hint. */
  unlinkedHint?: string;
  /**
   * The consumer is done with a batch's messages once it asks for the next event (it writes them out at once, as
   * peek and the server's tails do): their payload bytes are then overwritten by the next reads, which saves
   * touching fresh memory for every batch. Copy what you keep. Default false: payloads stay valid.
   */
  reusePayloads?: boolean;
}

/** A batch read: the messages that matched (maybe none, when a filter skipped all). */
export interface FollowBatch {
  kind: "batch";
  messages: StoredMessage[];
  /** Part of the history (read up to the edge fixed when following began), not live. */
  history: boolean;
  /** Every seq up to this one was looked at (sent or skipped). */
  scannedSeq: number;
}

export type FollowEnd = "one" | "max" | "timeout" | "edge" | "aborted";

export type FollowEvent =
  | FollowBatch
  /** Everything is read; the follower is about to sleep. */
  | { kind: "idle"; scannedSeq: number }
  | { kind: "end"; reason: FollowEnd; scannedSeq: number };

/** How often a waiting follower checks that its pool file is still the one at its path (a stat). */
const LINK_CHECK_MS = 1000;

export const PAST_DEADLINE = Symbol("past the deadline");

/**
 * `work`'s value, or PAST_DEADLINE once `deadline` (performance.now() ms) passes first. A --where expression runs
 * in jq's worker thread (src/filter/jq.ts), so this thread sees the deadline pass however long it runs.
 */
export async function beforeDeadline<T>(work: Promise<T>, deadline: number): Promise<T | typeof PAST_DEADLINE> {
  if (deadline === Infinity) return work;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<typeof PAST_DEADLINE>((resolve) => {
    timer = setTimeout(() => resolve(PAST_DEADLINE), Math.max(0, deadline - performance.now()));
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Throws Usage for options no reader can mean; every consumer's options come through here. */
export function checkFollowOptions(o: FollowOptions): void {
  if (o.gapPolicy !== undefined && o.gapPolicy !== "continue" && o.gapPolicy !== "error") {
    throw new PlasmiteError("Usage", `invalid gap policy '${o.gapPolicy}'`, { hint: "Use continue or error." });
  }
  for (const [name, v] of [["max", o.max], ["idle timeout", o.idleTimeoutMs]] as const) {
    if (v !== undefined && !(v >= 0)) throw new PlasmiteError("Usage", `${name} must be a non-negative number, got ${v}`);
  }
}

/** The filter as one batch call: true per message that matches. */
function batchMatcher(tags: readonly string[], where: WhereFilter | null): ((batch: StoredMessage[]) => Promise<boolean[]>) | null {
  if (tags.length === 0 && !where) return null;
  const joined = new EnvelopeLines();
  const utf8 = new TextDecoder();
  const wanted = wantedTags(tags);
  return async (batch) => {
    const flags = new Array<boolean>(batch.length).fill(true);
    if (tags.length > 0) for (let i = 0; i < batch.length; i++) flags[i] = payloadHasTags(batch[i].payload, wanted);
    if (!where) return flags;
    // jq reads the candidates as one text: splice their envelopes as bytes and decode once
    let n = 0;
    for (let i = 0; i < batch.length; i++) {
      if (!flags[i]) continue;
      joined.pushEnvelope(batch[i], "\n");
      n++;
    }
    if (n === 0) return flags;
    const whereFlags = await where.matchJoined(utf8.decode(joined.take()), n);
    for (let i = 0, c = 0; i < batch.length; i++) if (flags[i]) flags[i] = whereFlags[c++];
    return flags;
  };
}

/**
 * Follows `pool` from `o.start`: yields a `batch` event per batch read (history first, then live), `idle` before
 * sleeping, and one `end` event when a stop condition is met. Throws RetentionGap (gapPolicy "error", after the
 * messages before the gap were yielded), NotFound when the pool file is deleted or replaced, and what the pool
 * throws (Corrupt). Breaking out of the loop ends it; nothing is held after.
 */
export async function* followPool(pool: Pool, newCursor: (start: CursorStart) => Cursor, o: FollowOptions): AsyncGenerator<FollowEvent> {
  checkFollowOptions(o);
  const tags = o.tags ?? [];
  const match = batchMatcher(tags, o.where ?? null);
  const last = "last" in o.start ? o.start.last : undefined;
  // --one --tail N keeps the newest match of the history across batches (StopRules): its payload must stay
  const reuse = o.reusePayloads === true && !(o.one && last !== undefined);
  const cursor = newCursor(last !== undefined ? { newest: true } : o.start).sharePayloadBlocks(reuse).paceCollection();
  const waiter: Waiter = o.waiter ?? { mark: () => 0, wait: (ms, signal) => cursor.wait(ms, signal, o.notify ?? true).then(() => {}) };
  let gap: PlasmiteError | null = null;
  const onDrop = (d: Drop): boolean => {
    if (o.gapPolicy === "error") {
      gap ??= retentionGapError(d.fromSeq, d.toSeq, { path: pool.path, hint: "Read faster, use a larger pool, or resume from the oldest retained seq." });
      return true; // fail closed: nothing after the gap is read
    }
    o.onDrop?.(d);
    return false;
  };
  const idleMs = o.idleTimeoutMs ?? Infinity;
  let idleDeadline = performance.now() + idleMs;
  const deadline = () => Math.min(idleDeadline, o.deadline ?? Infinity);
  const scanned = () => cursor.nextSeq - 1;
  const end = (reason: FollowEnd): FollowEvent => ({ kind: "end", reason, scannedSeq: scanned() });
  const rules = new StopRules<StoredMessage>({ one: o.one, last, max: o.max });
  const nothing = (history: boolean): FollowEvent => ({ kind: "batch", messages: [], history, scannedSeq: scanned() });

  /** The batch's matches as an event, after the stop rules; the reason to stop when one of them fired. */
  function* deliver(batch: StoredMessage[], history: boolean): Generator<FollowEvent, FollowEnd | null> {
    if (batch.length > 0) idleDeadline = performance.now() + idleMs;
    const { messages, stop } = rules.take(batch, history);
    if (messages.length === 0 && !stop) {
      yield nothing(history);
      return null;
    }
    // a stop rule ends the scan at the last message delivered: what follows it was not looked at
    yield { kind: "batch", messages, history, scannedSeq: stop ? (messages.at(-1)?.seq ?? scanned()) : scanned() };
    return stop;
  }

  // History: up to the newest message now, streamed from its start (for "the last N matches", found by a
  // backwards scan that remembers positions).
  if (!("newest" in o.start)) {
    const history = readHistory(pool, cursor, {
      last,
      match: match ?? undefined,
      onDrop,
      wanted: () => rules.wanted(true),
    });
    // history is read whole however long it takes; only a stream's total time (o.deadline) cuts it
    for await (const batch of history) {
      if (o.signal?.aborted) return yield end("aborted");
      const stop = yield* deliver(batch, true);
      if (stop) return yield end(stop);
      if (performance.now() >= (o.deadline ?? Infinity)) return yield end("timeout");
    }
    if (gap) throw gap;
    const picked = rules.historyEnded();
    if (picked !== null) {
      yield { kind: "batch", messages: [picked], history: true, scannedSeq: scanned() };
      return yield end("one");
    }
  }
  if (o.historyOnly) return yield end("edge");
  // the idle timeout counts from here: what history printed does not use it up
  idleDeadline = performance.now() + idleMs;

  let linkCheckedAt = performance.now();
  for (;;) {
    if (o.signal?.aborted) return yield end("aborted");
    const mark = waiter.mark();
    cursor.releasePayloads(); // the previous batch was consumed (with reusePayloads)
    const batch: StoredMessage[] = [];
    // unfiltered, no more than the stop rules can still deliver (see StopRules.wanted)
    const size = match ? HISTORY_BATCH : historyBatchSize(rules.wanted(false), false, 0);
    let failure: unknown = null;
    while (batch.length < size) {
      const before = batch.length;
      let drop;
      try {
        drop = cursor.nextBatch(batch, size - batch.length);
      } catch (err) {
        failure = err; // a damaged frame: what was read before it is delivered first
        break;
      }
      if (drop ? onDrop(drop) : batch.length === before) break;
    }
    if (failure !== null && batch.length === 0) throw failure;
    if (batch.length > 0) {
      let matched = batch;
      if (match) {
        const flags = await beforeDeadline(match(batch), deadline());
        if (flags === PAST_DEADLINE) return yield end("timeout");
        matched = batch.filter((_, i) => flags[i]);
      }
      const stop = yield* deliver(matched, false);
      if (stop) return yield end(stop);
      if (failure !== null) throw failure;
      if (gap) throw gap;
      continue;
    }
    if (gap) throw gap;
    const now = performance.now();
    if (now >= deadline()) return yield end("timeout");
    // a deleted or replaced pool file gets no more messages: say so rather than wait forever
    if (now - linkCheckedAt >= LINK_CHECK_MS) {
      linkCheckedAt = now;
      if (!pool.stillLinked()) {
        throw new PlasmiteError("NotFound", "the pool file was deleted or replaced while following it", { path: pool.path, hint: o.unlinkedHint ?? "Open the pool again to follow the new file." });
      }
    }
    yield { kind: "idle", scannedSeq: scanned() };
    if (o.signal?.aborted) return yield end("aborted");
    const left = deadline() - performance.now();
    await waiter.wait(Math.max(0, Math.min(left, o.tickMs ?? LINK_CHECK_MS, LINK_CHECK_MS)), o.signal, mark);
  }
}
