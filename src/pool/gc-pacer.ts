// Paces garbage collection by messages read and written, process-wide.
// Why: JavaScriptCore counts every byte of an ArrayBuffer as heap memory, the mapping of a pool file included,
// and starts its next collection only once allocation reaches a share of that heap. With a 4 GiB pool open it
// collected about once per gigabyte allocated: a loop of 1M `get`s grew RssAnon to 789 MB, and each small
// allocation cost ~200 ns instead of ~7 (every one on a page never touched before). Measured with
// scripts/bench-scale.ts --only get; a plain `new Uint8Array(58)` loop shows the same (6 ns with no pool mapped,
// 219 ns with a 4 GiB one, whether mapped whole, in 64 MiB pieces or by Bun.mmap).
// So the engine collects by work done instead: a young-generation collection every GC_EDEN_EVERY messages (~0.03 ms
// on a small heap) and, for streams, a full one every GC_FULL_EVERY (~1.2 ms; see noteMessages). Every message
// makes a few short-lived objects, and the caller's own garbage per message is collected with them.
// Who counts: every get, getMany, append and cursor read, for young collections; cursors asked to
// (Cursor.paceCollection: peek, the server's tails, history reads) also for full ones. A library user's plain
// Cursor over a 1 GiB pool read 409,600 messages in 303 ms growing RssAnon 112 MB unpaced; 137 ms and 4 MB paced.
// Young collections every 16,384 reads instead of 4,096 took peek --tail 1000000 from 0.93 to 0.81 s (25 MB
// RssAnon). Full ones stay at every 32,768: at 65,536 peek took 0.70 s, but a live follower over 10M appends on a
// 1 GiB pool grew 16.3 MB (12.7 MB at 32,768; the target is 16).
// State: one counter for the process (many cursors and handles in one server share it). Never throws; a no-op off
// Bun.

/** Messages between two young-generation collections. */
export const GC_EDEN_EVERY = 16384;
/** Messages between two full collections (a multiple of GC_EDEN_EVERY). */
export const GC_FULL_EVERY = 32768;

let messages = 0;

/**
 * Counts `n` messages read or written; collects when a pacing interval is complete (once, however many passed):
 * a young collection, or a full one when `full` and a GC_FULL_EVERY interval is complete too. Streams (cursors)
 * ask for full ones: a follower running for hours otherwise grows its old generation. Gets and appends do not:
 * what they make dies young, and a full collection costs in proportion to the caller's own live heap (a
 * benchmark holding 200,000 payloads: appendBatch with encoding 2.2M -> 1.4M msg/s with full collections).
 */
export function noteMessages(n: number, full: boolean): void {
  const before = messages;
  messages += n;
  if (Math.floor(messages / GC_EDEN_EVERY) === Math.floor(before / GC_EDEN_EVERY)) return;
  if (typeof Bun === "undefined") return;
  Bun.gc(full && Math.floor(messages / GC_FULL_EVERY) !== Math.floor(before / GC_FULL_EVERY));
}
