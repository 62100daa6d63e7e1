// Paces garbage collection by messages read, process-wide. Every message read makes a few short-lived objects;
// JavaScriptCore collects them late when a loop reads millions without an idle moment, so a reader's memory grew
// with the message count (peek --tail 1000000: 150 MB). A young-generation collection every GC_EDEN_EVERY reads and a
// full one every GC_FULL_EVERY keep it bounded by a batch. Since reads copy frames in runs into reused blocks
// (reader.ts), a read allocates little (a message object and a payload view), and collecting as often as before
// was half of peek's time. Young collections every 16,384 reads instead of 4,096 took peek --tail 1000000 from 0.93
// to 0.81 s (25 MB RssAnon). Full ones stay at every 32,768: at 65,536 peek took 0.70 s, but a live follower
// over 10M appends on a 1 GiB pool grew 16.3 MB (12.7 MB at 32,768; the target is 16).
// Opt-in per cursor (Cursor.paceCollection), for processes that stream: a collection resets the collector's
// heap-growth estimate, and allocation-heavy code running after it in the same process (a library user's own
// loops, the engine benchmark's) then pays for more frequent collections (measured: 2-5x slower slice loops).
// State: one counter for the process (many cursors in one server share it). Never throws; a no-op off Bun.

/** Reads between two young-generation collections. */
export const GC_EDEN_EVERY = 16384;
/** Reads between two full collections (a multiple of GC_EDEN_EVERY). */
export const GC_FULL_EVERY = 32768;

let reads = 0;

/** Counts `n` messages read; collects when a pacing interval is complete (once, however many passed). */
export function noteReads(n: number): void {
  const before = reads;
  reads += n;
  if (Math.floor(reads / GC_EDEN_EVERY) === Math.floor(before / GC_EDEN_EVERY)) return;
  if (typeof Bun === "undefined") return;
  Bun.gc(Math.floor(reads / GC_FULL_EVERY) !== Math.floor(before / GC_FULL_EVERY));
}
