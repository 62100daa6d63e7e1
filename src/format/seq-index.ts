// The sparse seq -> frame offset index (spec/format/v2.md §3): one slot per `stride`-th seq, sized so every
// retained indexed seq has its own slot; a lookup is that slot plus a forward walk of fewer than `stride` frames.
// Pure but for one sink (State: `touched`, the last value of touchAhead's and touchRanges' loads, read by nobody).
// Invariant: a hint only; callers validate every frame it leads to (kind, header crc, the full seq).
import { FRAME_HEADER_BYTES, HEADER_SIZE_BYTES, INDEX_SLOT_BYTES, MIN_FRAME_BYTES, frameLength } from "./limits.ts";
import { KIND_FRAME, KIND_WRAP, maxPayloadBytes } from "./frame.ts";
import type { RingView } from "./ring.ts";

/** Largest stride: a lookup walks at most this many frames past its slot (reached only with a tiny explicit capacity). */
export const MAX_INDEX_STRIDE = 2 ** 26;

/**
 * Seqs per index slot (spec §3): the smallest power of two S with max(1, capacity - 1) * S >= ring_size / 64,
 * so the at most ring_size / 64 retained frames (each at least 64 bytes) never share a slot. 0 without an index.
 */
export function indexStride(capacity: number, ringSize: number): number {
  if (capacity === 0) return 0;
  const maxFrames = Math.floor(ringSize / MIN_FRAME_BYTES);
  let stride = 1;
  while (Math.max(1, capacity - 1) * stride < maxFrames && stride < MAX_INDEX_STRIDE) stride *= 2;
  return stride;
}

function slotWord(capacity: number, stride: number, seq: number): number {
  return (HEADER_SIZE_BYTES + (Math.floor(seq / stride) % capacity) * INDEX_SLOT_BYTES) / 4;
}

/** Records that `seq` (a multiple of `stride`) is at ring offset `off`. */
export function writeIndexSlot(ring: RingView, capacity: number, stride: number, seq: number, off: number): void {
  if (capacity === 0) return;
  const w = slotWord(capacity, stride, seq);
  ring.u32[w] = seq >>> 0;
  ring.u32[w + 1] = off;
}

/** Ring offset the index suggests for `seq` (a multiple of `stride`), or -1 when its slot holds another seq or an impossible offset. */
export function lookupIndexSlot(ring: RingView, capacity: number, stride: number, seq: number): number {
  if (capacity === 0) return -1;
  const w = slotWord(capacity, stride, seq);
  if (ring.u32[w] !== seq >>> 0) return -1;
  const off = ring.u32[w + 1];
  return off < ring.ringSize && off % 8 === 0 ? off : -1;
}

/** Absolute byte range of the slot for `seq` (for msync). */
export function indexSlotRange(capacity: number, stride: number, seq: number): [number, number] {
  return [slotWord(capacity, stride, seq) * 4, INDEX_SLOT_BYTES];
}

/**
 * Ring offset of the frame `hops` frames after the committed frame at `off` (following wrap markers), read from
 * the length fields alone; -1 when a word on the way is not a frame or a length leads outside the ring. The
 * caller validates the frame it lands on: garbage met on the way can only make the walk fail or land on a
 * frame whose seq is not the wanted one.
 */
export function walkFrames(ring: RingView, off: number, hops: number): number {
  const { u32, ringOffset, ringSize } = ring;
  const maxPayload = maxPayloadBytes(ringSize);
  if (hops > 1) touchAhead(u32, ringOffset, ringSize, off, hops);
  for (let i = 0; i < hops; i++) {
    if (off >= ringSize || u32[(ringOffset + off) / 4] === KIND_WRAP) off = 0;
    const w = (ringOffset + off) / 4;
    if (u32[w] !== KIND_FRAME || ringSize - off < FRAME_HEADER_BYTES) return -1;
    const payloadLen = u32[w + 1];
    if (payloadLen > maxPayload) return -1;
    off += frameLength(payloadLen);
    if (off > ringSize) return -1;
  }
  return off === ringSize ? 0 : off;
}

/** Loads nobody reads, kept so the compiler cannot drop them. */
export let touched = 0;

/**
 * Loads one word of every cache line a walk of `hops` small frames from `off` will cross, in loads that do not
 * wait on each other: they miss together, where the walk's own loads (each length gives the next address) would
 * miss one after the other. Two lines per hop covers frames up to 128 bytes; a longer walk reads the rest itself.
 * Measured on a 4 GiB pool (scripts/bench-scale.ts --only get): 577k -> 639-675k gets/s.
 */
function touchAhead(u32: Uint32Array, ringOffset: number, ringSize: number, off: number, hops: number): void {
  touched = touchLines(u32, ringOffset, off + 64, Math.min(off + hops * 128, ringSize));
}

/** One word of every 64-byte line of ring bytes [start, end), OR-ed together (so the loads are kept). */
function touchLines(u32: Uint32Array, ringOffset: number, start: number, end: number): number {
  let t = 0;
  for (let at = start; at < end; at += 64) t |= u32[(ringOffset + at) >>> 2]!;
  return t;
}

/** A walk's range covers at most this many hops (two lines each): longer walks (tiny explicit indexes) read the rest themselves. */
const MAX_RANGE_HOPS = 16;

/**
 * Where lookups of seqs[from..to) load first: the absolute byte range of each one's index slot, as [start, end)
 * pairs into `out` (at least 2 * (to - from) entries). Returns how many numbers were written (0 without an index;
 * seqs that are not whole numbers are skipped). Reads nothing.
 */
export function slotRanges(capacity: number, stride: number, seqs: readonly number[], from: number, to: number, out: Float64Array): number {
  if (capacity === 0) return 0;
  let n = 0;
  for (let i = from; i < to; i++) {
    const seq = seqs[i]!;
    if (!Number.isSafeInteger(seq) || seq < 0) continue;
    const at = slotWord(capacity, stride, seq - (seq % stride)) * 4;
    out[n++] = at;
    out[n++] = at + INDEX_SLOT_BYTES;
  }
  return n;
}

/**
 * Where lookups of seqs[from..to) load next: the absolute byte range each one's walk from its index slot may cross
 * (two lines per hop: frames up to 128 bytes), as slotRanges writes them. Reads the slots, so those should be
 * loaded first; a stale slot only yields a useless range. Nothing is validated.
 */
export function walkRanges(ring: RingView, capacity: number, stride: number, seqs: readonly number[], from: number, to: number, out: Float64Array): number {
  if (capacity === 0) return 0;
  const { u32, ringOffset, ringSize } = ring;
  let n = 0;
  for (let i = from; i < to; i++) {
    const seq = seqs[i]!;
    if (!Number.isSafeInteger(seq) || seq < 0) continue;
    const off = u32[slotWord(capacity, stride, seq - (seq % stride)) + 1]!;
    if (off >= ringSize) continue;
    out[n++] = ringOffset + off;
    out[n++] = ringOffset + Math.min(off + (Math.min(seq % stride, MAX_RANGE_HOPS) + 1) * 128, ringSize);
  }
  return n;
}

/**
 * Loads one word of every line of the byte ranges that slotRanges or walkRanges wrote (`count` numbers), in loads
 * that do not wait on one another: where no native prefetch exists, they at least miss together.
 */
export function touchRanges(ring: RingView, ranges: Float64Array, count: number): void {
  let t = 0;
  for (let i = 0; i + 1 < count; i += 2) t |= touchLines(ring.u32, 0, ranges[i]!, ranges[i + 1]!);
  touched = t;
}
