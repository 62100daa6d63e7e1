// Paces garbage collection by messages read, process-wide. Every message read makes a few short-lived objects;
// JavaScriptCore collects them late when a loop reads millions without an idle moment, so a reader's memory grew
// with the message count (peek --tail 1000000: 150 MB). A young-generation collection every GC_EDEN_EVERY reads and a
// full one every GC_FULL_EVERY keep it bounded by a batch. Since reads copy frames in runs into reused blocks
// (reader.ts), a read allocates little (a message object and a payload view), and collecting as often as before
// was half of peek's time: 16,384 / 65,536 took peek --tail 1000000 from 0.93 to 0.65 s at 27 MB RssAnon (4,096 /
// 32,768: 25 MB; 32,768 / 131,072: 0.55 s but 31-33 MB). A live follower over 2M appends grew 13.3 MB.
// Opt-in per cursor (Cursor.paceCollection), for processes that stream: a collection resets the collector's
// heap-growth estimate, and allocation-heavy code running after it in the same process (a library user's own
// loops, the engine benchmark's) then pays for more frequent collections (measured: 2-5x slower slice loops).
// State: one counter for the process (many cursors in one server share it). Never throws; a no-op off Bun.

/** Reads between two young-generation collections. */
export const GC_EDEN_EVERY = 16384;
/** Reads between two full collections (a multiple of GC_EDEN_EVERY). */
export const GC_FULL_EVERY = 65536;

let reads = 0;

/** Counts `n` messages read; collects when a pacing interval is complete (once, however many passed). */
export function noteReads(n: number): void {
  const before = reads;
  reads += n;
  if (Math.floor(reads / GC_EDEN_EVERY) === Math.floor(before / GC_EDEN_EVERY)) return;
  if (typeof Bun === "undefined") return;
  Bun.gc(Math.floor(reads / GC_FULL_EVERY) !== Math.floor(before / GC_FULL_EVERY));
}
