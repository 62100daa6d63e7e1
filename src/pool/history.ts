// A pool's history for a start shape and a filter, read in batches up to a fixed edge: the one read path of every
// consumer's history (peek's --tail/--since, tails). Invariant: memory is bounded by the batch and, for "the last N
// matches", by one bit per scanned seq (at most ring_size / 512 bytes) — never by N messages or the history's size.
// Finds its start through the index (Cursor seek / firstAtOrAfter), so starting costs the same at any pool size.
import { Cursor, type Drop } from "./cursor.ts";
import type { Pool } from "./pool.ts";
import type { StoredMessage } from "./reader.ts";

/** Most messages read (and filtered) per batch. */
export const HISTORY_BATCH = 4096;

/** Flags per message of a batch: true where it matches. May be asynchronous (jq runs in a worker). */
export type BatchMatcher = (batch: StoredMessage[]) => boolean[] | Promise<boolean[]>;

export interface HistoryOptions {
  /** The last N matching messages; without it, every match from the cursor's position on. */
  last?: number;
  /** Omitted: every message matches. */
  match?: BatchMatcher;
  /** A drop met while reading: return true to stop there (fail closed on a gap). */
  onDrop: (drop: Drop) => boolean;
  /** Read up to this seq (default: the newest when reading starts). */
  untilSeq?: number;
  /**
   * The most matches the reader can still use, asked before each batch (default: no bound). Unfiltered batches
   * read no more messages than that; filtered ones, which cannot know how many they must read to find them,
   * start at FIRST_FILTERED_BATCH and double up to HISTORY_BATCH.
   */
  wanted?: () => number;
}

/** A filtered read for a bounded number of matches starts with batches this small (see HistoryOptions.wanted). */
export const FIRST_FILTERED_BATCH = 64;

/** Messages to read in the next batch: `wanted` matches, `filtered` or not, after a batch of `previous` messages (0: none yet). */
export function historyBatchSize(wanted: number, filtered: boolean, previous: number): number {
  if (!filtered) return Math.max(1, Math.min(HISTORY_BATCH, wanted));
  if (wanted === Infinity) return HISTORY_BATCH;
  return Math.min(HISTORY_BATCH, previous === 0 ? Math.max(FIRST_FILTERED_BATCH, wanted) : previous * 2);
}

/**
 * Yields the history as batches of matching messages (one per batch read, maybe empty), in seq order, leaving `cursor` after the edge (a follower
 * goes on from there). With `last` and a matcher, scans backwards a batch at a time until N matches are found
 * (remembering them as bits), then reads forwards from the first of them: each message is matched once.
 */
export async function* readHistory(pool: Pool, cursor: Cursor, o: HistoryOptions): AsyncGenerator<StoredMessage[]> {
  const edge = o.untilSeq ?? pool.state().newestSeq;
  let marks: SeqMarks | null = null;
  if (o.last !== undefined) {
    if (o.last === 0) {
      cursor.seek(edge + 1);
      return;
    }
    if (!o.match) cursor.seek(Math.max(pool.state().oldestSeq, edge - o.last + 1));
    else {
      marks = await markLastMatches(pool, edge, o.last, o.match);
      if (marks.first < 0) {
        cursor.seek(edge + 1);
        return;
      }
      cursor.seek(marks.first);
    }
  }
  let size = 0;
  for (;;) {
    cursor.releasePayloads(); // the previous batch was consumed (when the cursor reuses its payload blocks)
    size = historyBatchSize(o.wanted?.() ?? Infinity, marks !== null || o.match !== undefined, size);
    const read: StoredMessage[] = [];
    const from = cursor.nextSeq;
    let stopped = false;
    let failure: unknown = null;
    while (read.length < size && cursor.nextSeq <= edge) {
      const before = read.length;
      let drop;
      try {
        drop = cursor.nextBatch(read, size - read.length, edge);
      } catch (err) {
        failure = err; // what was read before it (intact, checked) is still delivered first
        break;
      }
      if (drop && o.onDrop(drop)) {
        stopped = true;
        break;
      }
      if (!drop && read.length === before) break; // nothing newer published
    }
    const batch = marks ? read.filter((m) => marks.has(m.seq)) : read;
    // a batch the filter emptied is yielded too: the reader learns how far the scan got, and may stop
    if (cursor.nextSeq > from) yield marks || !o.match ? batch : await matching(batch, o.match);
    if (failure !== null) throw failure;
    if (stopped || cursor.nextSeq > edge || cursor.nextSeq === from) return;
  }
}

async function matching(batch: StoredMessage[], match: BatchMatcher): Promise<StoredMessage[]> {
  const flags = await match(batch);
  const out: StoredMessage[] = [];
  for (let i = 0; i < batch.length; i++) if (flags[i]) out.push(batch[i]);
  return out;
}

/** Which seqs matched, one bit each, in chunks of HISTORY_BATCH seqs; `first` is the first of the last N (-1: none). */
class SeqMarks {
  private readonly chunks = new Map<number, Uint32Array>();
  first = -1;

  set(seq: number): void {
    const key = Math.floor(seq / HISTORY_BATCH);
    let bits = this.chunks.get(key);
    if (!bits) this.chunks.set(key, (bits = new Uint32Array(HISTORY_BATCH / 32)));
    const i = seq % HISTORY_BATCH;
    bits[i >>> 5] |= 1 << (i & 31);
  }

  has(seq: number): boolean {
    const bits = this.chunks.get(Math.floor(seq / HISTORY_BATCH));
    const i = seq % HISTORY_BATCH;
    return bits !== undefined && (bits[i >>> 5] & (1 << (i & 31))) !== 0;
  }
}

/**
 * Scans backwards from `edge` in batches (each located through the index) until `n` matches are marked or the
 * oldest retained message is reached. Messages dropped meanwhile end the scan: older ones are gone anyway.
 */
async function markLastMatches(pool: Pool, edge: number, n: number, match: BatchMatcher): Promise<SeqMarks> {
  const marks = new SeqMarks();
  const scan = new Cursor(pool, { seq: edge + 1 }).sharePayloadBlocks(true).paceCollection(); // nothing of a batch is kept
  const batch: StoredMessage[] = [];
  const found: number[] = []; // matched seqs of the current batch, newest last
  let count = 0;
  let hi = edge;
  while (count < n && hi >= pool.state().oldestSeq) {
    const lo = Math.max(pool.state().oldestSeq, hi - HISTORY_BATCH + 1);
    scan.seek(lo);
    scan.releasePayloads();
    batch.length = 0;
    let dropped = false;
    while (scan.nextSeq <= hi) {
      const before = batch.length;
      if (scan.nextBatch(batch, HISTORY_BATCH, hi)) dropped = true;
      else if (batch.length === before) break;
    }
    const flags = await match(batch);
    found.length = 0;
    for (let i = 0; i < batch.length; i++) if (flags[i]) found.push(batch[i].seq);
    // newest first within the batch: only as many as still needed count
    for (let i = found.length - 1; i >= 0 && count < n; i--) {
      marks.set(found[i]);
      marks.first = found[i];
      count++;
    }
    if (dropped) break;
    hi = lo - 1;
  }
  return marks;
}
