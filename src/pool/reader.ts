// Lock-free reads of retained frames (spec/format/v2.md §8): locate a seq, copy a frame out and prove the copy
// exact by re-checking the published state afterwards. Never takes the writer lock.
// Invariant: locating a retained seq costs one index slot and a walk of fewer than index_stride frames, whatever
// the pool's size; the full scan from the tail is only the fallback for a stale or missing slot.
import { PlasmiteError } from "../errors.ts";
import { FRAME_HEADER_BYTES, MIN_FRAME_BYTES } from "../format/limits.ts";
import { crc32 } from "../format/crc32.ts";
import { FrameStatus, copyPayloadChecked, newFrameInfo, payloadIntact, readFrameHeader, type FrameInfo } from "../format/frame.ts";
import { loadPublishGen, readState, type PoolState } from "../format/header.ts";
import type { RingView } from "../format/ring.ts";
import { indexStride, lookupIndexSlot, walkFrames } from "../format/seq-index.ts";

/** locateIndexed(): the index cannot say where the seq is (a stale slot, no index); scan instead. */
const NOT_INDEXED = -3;

/** One message as stored: its seq, timestamp and payload bytes (a private copy). */
export interface StoredMessage {
  readonly seq: number;
  readonly timeNs: bigint;
  /** The timestamp's high and low 32 bits (what formatTime needs, without BigInt work per message). */
  readonly timeHi: number;
  readonly timeLo: number;
  readonly payload: Uint8Array;
}

/** StoredMessage whose BigInt timestamp is built only if someone asks for it. */
class ReadMessage implements StoredMessage {
  constructor(
    readonly seq: number,
    readonly timeHi: number,
    readonly timeLo: number,
    readonly payload: Uint8Array,
  ) {}

  get timeNs(): bigint {
    return (BigInt(this.timeHi) << 32n) | BigInt(this.timeLo);
  }
}

/**
 * Payload copies carved out of shared blocks: a reader of millions of messages allocates one block per
 * ARENA_BLOCK_BYTES of payloads instead of one buffer per message (the runtime reclaims a few large buffers
 * promptly; millions of small ones pile up faster than its collector frees them). A kept payload keeps its whole
 * block alive: for consumers that copy messages out batch by batch (peek, server streams), not for handing
 * messages to users. Without `reuse`, payloads stay valid as long as they are referenced (a block is never
 * reused). With `reuse`, `release()` hands the blocks back: every payload placed before it may then be
 * overwritten. Fresh blocks cost a page fault per 4 KiB on first touch: peek --tail 1000000 spent a quarter of
 * its time faulting in new blocks, which a few reused ones avoid.
 */
export class PayloadArena {
  /** The block being filled: `place` returns offsets into it. */
  block: Uint8Array = new Uint8Array(0);
  private pos = 0;
  /** With reuse: blocks filled since the last release, and blocks free to fill again. */
  private readonly filled: Uint8Array[] = [];
  private readonly spare: Uint8Array[] = [];

  constructor(private readonly reuse = false) {}

  copy(bytes: Uint8Array, start: number, length: number): Uint8Array {
    const at = this.place(bytes, start, length);
    return this.block.subarray(at, at + length);
  }

  /** Copies bytes[start, start + length) into `block` in one piece (a fresh block when it does not fit); returns where. */
  place(bytes: Uint8Array, start: number, length: number): number {
    if (this.pos + length > this.block.length) this.nextBlock(length);
    const at = this.pos;
    this.block.set(bytes.subarray(start, start + length), at);
    this.pos += (length + 7) & ~7;
    return at;
  }

  /** With reuse: every payload placed so far may be overwritten from now on. Without, nothing happens. */
  release(): void {
    if (!this.reuse) return;
    for (const b of this.filled) if (this.spare.length < MAX_SPARE_BLOCKS) this.spare.push(b);
    this.filled.length = 0;
    this.pos = 0;
  }

  private nextBlock(length: number): void {
    if (this.reuse && this.block.length === ARENA_BLOCK_BYTES) this.filled.push(this.block);
    const spare = length <= ARENA_BLOCK_BYTES ? this.spare.pop() : undefined;
    this.block = spare ?? new Uint8Array(Math.max(ARENA_BLOCK_BYTES, length));
    this.pos = 0;
  }
}

/** Blocks a reusing arena keeps between releases: a batch of 4,096 small messages fills about six. */
const MAX_SPARE_BLOCKS = 16;

/**
 * 64 KiB, not 1 MiB: every cursor has a block of its own, and a server with 16 tail streams held 16 large blocks
 * plus their garbage (peak RssAnon over 2M appends: 79.8 MB with 1 MiB blocks, 40.1 MB with 64 KiB; peek's rate
 * the same within noise).
 */
const ARENA_BLOCK_BYTES = 64 * 1024;

/** readRun keeps, per frame: the payload's offset in the run, its length, time high and low, crc. */
const RUN_FIELDS = 5;
/** A run fills at most one arena block, and frames take at least MIN_FRAME_BYTES. */
const RUN_MAX_FRAMES = ARENA_BLOCK_BYTES / MIN_FRAME_BYTES;

/** A lock-free view of one pool's ring with a cached published state. */
export class RingReader {
  readonly ring: RingView;
  readonly indexCapacity: number;
  /** Seqs per index slot (spec §3), 0 without an index. */
  readonly indexStride: number;
  private cached: PoolState;
  private readonly info: FrameInfo = newFrameInfo();

  constructor(ring: RingView, indexCapacity: number) {
    this.ring = ring;
    this.indexCapacity = indexCapacity;
    this.indexStride = indexStride(indexCapacity, ring.ringSize);
    this.cached = readState(ring);
  }

  /** The current published state (re-read only when publish_gen moved). */
  state(): PoolState {
    if (loadPublishGen(this.ring) !== this.cached.gen) this.cached = readState(this.ring);
    return this.cached;
  }

  /** Takes a state this process just published as the cached one (saves re-reading it). */
  adopt(published: PoolState): void {
    // a new object (callers may hold the previous one), built field by field: a spread costs more
    this.cached = {
      gen: published.gen,
      headOff: published.headOff,
      tailOff: published.tailOff,
      oldestSeq: published.oldestSeq,
      newestSeq: published.newestSeq,
      newestTimeNs: published.newestTimeNs,
    };
  }

  /** Forces a fresh read of the state. */
  refresh(): PoolState {
    this.cached = readState(this.ring);
    return this.cached;
  }

  /**
   * Reads frame `seq` at ring offset `off` (following a wrap marker). Returns the message, or null when that
   * offset does not hold `seq` or the frame was dropped during the copy; `out.nextOff` receives the next offset.
   * Throws Corrupt when a retained frame's payload fails its checksum.
   */
  readAt(off: number, seq: number, s: PoolState, out: { nextOff: number }, arena?: PayloadArena): StoredMessage | null {
    const info = this.info;
    const ring = this.ring;
    let status = readFrameHeader(ring, off, info);
    if (status === FrameStatus.Wrap) {
      off = 0;
      status = readFrameHeader(ring, 0, info);
    }
    if (status !== FrameStatus.Ok || info.seq !== seq) return null;
    if (!payloadIntact(ring, info)) {
      if (!this.stillRetained(seq, s)) return null; // overwritten while we looked: a drop, not damage
      throw new PlasmiteError("Corrupt", `payload of seq ${seq} fails its checksum`, {
        seq,
        offset: off,
        hint: "Run `pls doctor POOL` for details.",
      });
    }
    const payload = arena ? arena.copy(ring.bytes, info.payloadAbs, info.payloadLen) : ring.bytes.slice(info.payloadAbs, info.payloadAbs + info.payloadLen);
    const { timeHi, timeLo } = info;
    const end = off + info.frameLen;
    if (!this.stillRetained(seq, s)) return null;
    out.nextOff = end === ring.ringSize ? 0 : end;
    return new ReadMessage(seq, timeHi, timeLo, payload);
  }

  /**
   * Reads consecutive frames from ring offset `off` (seq `seq` first) as one copy: up to `max` messages, appended
   * to `into`; returns how many (0: take the one-message path, readAt). Headers are read from the ring, the run's
   * bytes copied into `arena` at once, each payload checked against its crc in the copy, and one retention check
   * of the first seq after the copy proves the whole run exact (writers drop the oldest frames first). The run
   * stops before anything readAt must decide on: a wrap marker, a frame that is not the next seq, a payload that
   * fails its crc (a drop or damage), the end of an arena block. One copy and one check per run instead of per
   * message: peek --tail spent a third of its time on per-message views and copies.
   */
  readRun(off: number, seq: number, max: number, s: PoolState, into: StoredMessage[], arena: PayloadArena, out: { nextOff: number }): number {
    const ring = this.ring;
    const info = this.info;
    const meta = this.runMeta;
    const most = Math.min(max, RUN_MAX_FRAMES);
    let end = off;
    let n = 0;
    while (n < most) {
      if (readFrameHeader(ring, end, info) !== FrameStatus.Ok || info.seq !== seq + n) break;
      if (n > 0 && end + info.frameLen - off > ARENA_BLOCK_BYTES) break; // a run fits a block (reused ones have that size)
      const m = n * RUN_FIELDS;
      meta[m] = info.payloadAbs - ring.ringOffset - off; // the payload's place in the run
      meta[m + 1] = info.payloadLen;
      meta[m + 2] = info.timeHi;
      meta[m + 3] = info.timeLo;
      meta[m + 4] = info.payloadCrc;
      end += info.frameLen;
      n++;
    }
    if (n === 0) return 0;
    const base = arena.place(ring.bytes, ring.ringOffset + off, end - off);
    const block = arena.block;
    let good = 0;
    while (good < n) {
      const m = good * RUN_FIELDS;
      const at = base + meta[m];
      if (crc32(block, at, at + meta[m + 1]) !== meta[m + 4]) break;
      good++;
    }
    if (good === 0 || !this.stillRetained(seq, s)) return 0;
    for (let i = 0; i < good; i++) {
      const m = i * RUN_FIELDS;
      const at = base + meta[m];
      into.push(new ReadMessage(seq + i, meta[m + 2], meta[m + 3], block.subarray(at, at + meta[m + 1])));
    }
    const next = good === n ? end : off + meta[good * RUN_FIELDS] - FRAME_HEADER_BYTES; // frame `good`, for readAt
    out.nextOff = next === ring.ringSize ? 0 : next;
    return good;
  }

  /** readRun's per-frame header fields (RUN_FIELDS each), reused. */
  private readonly runMeta = new Uint32Array(RUN_MAX_FRAMES * RUN_FIELDS);

  /**
   * The message of the last successful locate(): its header is already read and checked (in `this.info`), so
   * only the payload is checked and copied. Null when writers dropped it meanwhile (the caller retries).
   */
  readLocated(seq: number, s: PoolState): StoredMessage | null {
    const info = this.info;
    if (info.seq !== seq) return null;
    const payload = copyPayloadChecked(this.ring, info);
    if (payload === null) {
      if (!this.stillRetained(seq, s)) return null; // overwritten while we looked: a drop, not damage
      throw new PlasmiteError("Corrupt", `payload of seq ${seq} fails its checksum`, {
        seq,
        offset: info.payloadAbs - FRAME_HEADER_BYTES - this.ring.ringOffset,
        hint: "Run `pls doctor POOL` for details.",
      });
    }
    const { timeHi, timeLo } = info;
    return this.stillRetained(seq, s) ? new ReadMessage(seq, timeHi, timeLo, payload) : null;
  }

  /** Frame header of `seq` at `off` (following a wrap), or null; fills `this.info`. */
  headerAt(off: number, seq: number): FrameInfo | null {
    let status = readFrameHeader(this.ring, off, this.info);
    if (status === FrameStatus.Wrap) status = readFrameHeader(this.ring, 0, this.info);
    return status === FrameStatus.Ok && this.info.seq === seq ? this.info : null;
  }

  /** After copying a frame seen under state `s`: true when writers cannot have overwritten it meanwhile. */
  stillRetained(seq: number, s: PoolState): boolean {
    if (loadPublishGen(this.ring) === s.gen) return true;
    return seq >= this.state().oldestSeq;
  }

  /**
   * Ring offset of retained `seq` under state `s`: the index when it validates, else a scan from the tail.
   * Returns -1 when writers moved the tail during the search (retry with a fresh state), -2 when it cannot be found although
   * retained (corruption; `corruptOffset` tells where the walk broke).
   */
  locate(seq: number, s: PoolState): number {
    const found = this.locateIndexed(seq, s);
    return found === NOT_INDEXED ? this.locateByScan(seq, s) : found;
  }

  /**
   * locate() through the index: the slot of the indexed seq at or below `seq` (or the tail, when that one is no
   * longer retained), then a walk of fewer than index_stride frames. NOT_INDEXED when the slot is stale or missing
   * (the caller scans), -1 when writers dropped `seq` meanwhile; otherwise the offset, checked to hold exactly `seq`.
   */
  private locateIndexed(seq: number, s: PoolState): number {
    const stride = this.indexStride;
    if (stride === 0) return NOT_INDEXED;
    const ring = this.ring;
    const base = seq - (seq % stride);
    let from: number;
    if (base < s.oldestSeq) {
      from = walkFrames(ring, s.tailOff, seq - s.oldestSeq); // fewer than `stride` hops: base < oldest <= seq
    } else {
      // The slot's frame is not validated on its own: the frame the walk lands on is (a valid frame with the full
      // seq is that message, seqs never repeat), and a walk from garbage fails or lands elsewhere.
      const hint = lookupIndexSlot(ring, this.indexCapacity, stride, base);
      from = hint < 0 ? -1 : walkFrames(ring, hint, seq - base);
    }
    if (from < 0 || !this.headerAt(from, seq)) return this.stillRetained(seq, s) ? NOT_INDEXED : -1;
    if (!this.stillRetained(seq, s)) return -1;
    return from;
  }

  /** locate() by walking every frame from the tail (validating each): the fallback, proportional to the pool. */
  private locateByScan(seq: number, s: PoolState): number {
    this.scanFallbacks++;
    const ring = this.ring;
    const info = this.info;
    let off = s.tailOff;
    let cur = s.oldestSeq;
    const maxSteps = ring.ringSize / 8 + 2;
    for (let steps = 0; steps < maxSteps; steps++) {
      let status = readFrameHeader(ring, off, info);
      if (status === FrameStatus.Wrap) {
        off = 0;
        status = readFrameHeader(ring, 0, info);
      }
      if (status !== FrameStatus.Ok || info.seq !== cur) {
        // A frame behind `seq` may have been dropped and overwritten meanwhile: then the caller retries.
        if (!this.stillRetained(cur, s)) return -1;
        this.corruptOffset = off;
        return -2;
      }
      if (cur === seq) return this.stillRetained(seq, s) ? off : -1;
      off += info.frameLen;
      if (off === ring.ringSize) off = 0;
      cur++;
    }
    this.corruptOffset = off;
    return -2;
  }

  /** Where the last failed locate() found the ring broken. */
  corruptOffset = 0;
  /** How many locate() calls fell back to a scan (a stale slot, no index): for tests and benchmarks. */
  scanFallbacks = 0;
}
