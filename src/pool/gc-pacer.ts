// Paces garbage collection by messages read, process-wide. Every message read makes a few short-lived objects;
// JavaScriptCore collects them late when a loop reads millions without an idle moment, so a reader's memory grew
// with the message count (peek --tail 1000000: 150 MB). A young-generation collection every GC_EDEN_EVERY reads and a
// full one every GC_FULL_EVERY keep it bounded by a batch. A full collection of a small heap is cheap, so they are
// frequent: every 32,768 reads instead of 131,072 took peek --tail 1000000 from 48 to 28-30 MB RssAnon and a live
// follower's growth from 35 to 14 MB, at the same speed (interleaved runs; bench-http's tail rows unchanged).
// Opt-in per cursor (Cursor.paceCollection), for processes that stream: a collection resets the collector's
// heap-growth estimate, and allocation-heavy code running after it in the same process (a library user's own
// loops, the engine benchmark's) then pays for more frequent collections (measured: 2-5x slower slice loops).
// State: one counter for the process (many cursors in one server share it). Never throws; a no-op off Bun.

/** Reads between two young-generation collections. */
export const GC_EDEN_EVERY = 4096;
/** Reads between two full collections (a multiple of GC_EDEN_EVERY). */
export const GC_FULL_EVERY = 32768;

let reads = 0;

/** Counts one message read; collects when a pacing interval is complete. */
export function noteRead(): void {
  if (++reads % GC_EDEN_EVERY !== 0) return;
  if (typeof Bun === "undefined") return;
  Bun.gc(reads % GC_FULL_EVERY === 0);
}
