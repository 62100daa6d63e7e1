// The placement planner (spec/format/v1.md §6): where the next frame goes and which tail frames it drops.
// Pure: reads the ring to size the frames it drops, writes nothing.
import { PlasmiteError } from "../errors.ts";
import { FrameStatus, isWrapAt, newFrameInfo, readFrameHeader } from "./frame.ts";
import type { PoolState } from "./header.ts";
import type { RingView } from "./ring.ts";

/** Where to write one frame. */
export interface Placement {
  offset: number;
  /** Ring offset of a wrap marker to write first, or -1. */
  wrapAt: number;
}

/** Returned instead of a placement when the frame would drop a frame of the same unpublished batch. */
export const NEEDS_PUBLISH = null;

const scratch = newFrameInfo();

/**
 * Plans one frame of `frameLen` bytes against `s`, updating `s` in place (tail, oldest, head, newest).
 * Frames with seq >= `firstUnpublishedSeq` are not yet in the ring: if placing would drop one, returns
 * NEEDS_PUBLISH and leaves `s` as the state after the drops it could make.
 */
export function planAppend(
  ring: RingView,
  s: PoolState,
  frameLen: number,
  firstUnpublishedSeq: number,
  firstUnpublishedOffset = -1,
): Placement | null {
  const ringSize = ring.ringSize;
  if (frameLen > ringSize) {
    throw new PlasmiteError("Usage", `message needs ${frameLen} bytes but the pool's ring holds ${ringSize}`, {
      hint: "Create a larger pool (pool create --size) or send a smaller message.",
    });
  }
  for (;;) {
    if (s.oldestSeq > s.newestSeq) {
      s.headOff = 0;
      s.tailOff = 0;
      return commit(s, 0, frameLen, -1, ringSize);
    }
    const { headOff: head, tailOff: tail } = s;
    const wraps = ringSize - head < frameLen;
    const conflict = wraps ? tail >= head || tail < frameLen : tail >= head && tail < head + frameLen;
    if (!conflict) return wraps ? commit(s, 0, frameLen, head, ringSize) : commit(s, head, frameLen, -1, ringSize);
    if (s.oldestSeq >= firstUnpublishedSeq) return NEEDS_PUBLISH;
    dropTail(ring, s, firstUnpublishedSeq, firstUnpublishedOffset);
  }
}

function commit(s: PoolState, offset: number, frameLen: number, wrapAt: number, ringSize: number): Placement {
  const end = offset + frameLen;
  s.headOff = end === ringSize ? 0 : end;
  s.newestSeq += 1;
  return { offset, wrapAt };
}

/**
 * Drops the oldest frame from `s` after checking it is the frame the state says it is. When the new oldest
 * is a planned frame not yet written, its planned offset is the tail (the ring there holds stale bytes).
 */
export function dropTail(ring: RingView, s: PoolState, firstUnpublishedSeq = Infinity, firstUnpublishedOffset = -1): void {
  const status = readFrameHeader(ring, s.tailOff, scratch);
  if (status !== FrameStatus.Ok || scratch.seq !== s.oldestSeq) {
    throw new PlasmiteError("Corrupt", `tail frame at ring offset ${s.tailOff} is not seq ${s.oldestSeq}`, {
      offset: s.tailOff,
      seq: s.oldestSeq,
      hint: "Run `pls doctor POOL` for details; a corrupt pool must be recreated.",
    });
  }
  s.tailOff += scratch.frameLen;
  s.oldestSeq += 1;
  if (s.oldestSeq > s.newestSeq) s.tailOff = s.headOff;
  else if (s.oldestSeq === firstUnpublishedSeq) s.tailOff = firstUnpublishedOffset;
  else if (s.tailOff === ring.ringSize || isWrapAt(ring, s.tailOff)) s.tailOff = 0;
}
