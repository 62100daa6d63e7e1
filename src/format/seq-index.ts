// The optional seq -> frame offset index (spec/format/v1.md §3). A hint only: callers validate the frame it
// points at. Pure.
import { HEADER_SIZE_BYTES, INDEX_SLOT_BYTES } from "./limits.ts";
import type { RingView } from "./ring.ts";

/** Records that `seq` is at ring offset `off`. */
export function writeIndexSlot(ring: RingView, capacity: number, seq: number, off: number): void {
  if (capacity === 0) return;
  const w = (HEADER_SIZE_BYTES + (seq % capacity) * INDEX_SLOT_BYTES) >>> 2;
  ring.u32[w] = seq >>> 0;
  ring.u32[w + 1] = off;
}

/** Ring offset the index suggests for `seq`, or -1 when its slot holds another seq or an impossible offset. */
export function lookupIndexSlot(ring: RingView, capacity: number, seq: number): number {
  if (capacity === 0) return -1;
  const w = (HEADER_SIZE_BYTES + (seq % capacity) * INDEX_SLOT_BYTES) >>> 2;
  if (ring.u32[w] !== seq >>> 0) return -1;
  const off = ring.u32[w + 1];
  return off < ring.ringSize && off % 8 === 0 ? off : -1;
}

/** Absolute byte range of the slot for `seq` (for msync). */
export function indexSlotRange(capacity: number, seq: number): [number, number] {
  return [HEADER_SIZE_BYTES + (seq % capacity) * INDEX_SLOT_BYTES, INDEX_SLOT_BYTES];
}
