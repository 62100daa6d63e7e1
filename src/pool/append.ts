// The append path (spec/format/v2.md §7): lengths and checksums before the lock, then under it plan, publish the
// drops, write the frames and index slots, publish, flush. Pool.appendPayloads* (pool.ts) call this; nothing
// else writes frames.
// Invariants: every step 3–6 store happens under the writer lock (flock LOCK_EX), taken here or by the caller;
// dropped bytes are overwritten only after a state without them is published (§7 step 3); a batch becomes
// visible with one 4-byte store (§7 step 6). Cheap checks of this file's own logic run on every append and throw
// Internal: each placement aligned and inside the ring (so no frame is longer than the ring), seqs newest+1…,
// frames written end to end from the published head exactly as planned, the state consistent (next gen, nobody
// else published, offsets aligned and inside the ring) right before it is published.
// State: per-Pool scratch arrays (reused so the critical section allocates nothing per message); module-level,
// one scratch word timestamps are split through and a TextEncoder made on first use.
import { PlasmiteError, withPath } from "../errors.ts";
import { beginFrame, commitFrame, payloadStart, writeFrameParts, writeWrapMarker, maxPayloadBytes } from "../format/frame.ts";
import { PUBLISH_GEN_OFFSET, WAITERS_WORD, copyState, loadPublishGen, publishState, type Geometry, type PoolState } from "../format/header.ts";
import { crc32, crc32Extend, crc32Text } from "../format/crc32.ts";
import { FRAME_ALIGN_BYTES, PAGE_SIZE_BYTES, frameLength } from "../format/limits.ts";
import { planAppend } from "../format/plan.ts";
import { utf8Length, type RingView } from "../format/ring.ts";
import { indexSlotRange, writeIndexSlot } from "../format/seq-index.ts";
import { futexWake, syncRange, unlock, type MappedFile } from "../platform/files.ts";
import { nowNs } from "./clock.ts";
import { noteMessages } from "./gc-pacer.ts";
import type { RingReader } from "./reader.ts";
import { lockWithin } from "./write-lock.ts";

export type Durability = "fast" | "flush";

/**
 * Payloads given as text around a shared envelope: payload i is `prefix + bodies[i] + suffix`, written as UTF-8
 * straight into the ring (a stream's records are never encoded into intermediate byte arrays).
 */
export interface TextPayloads {
  prefix: string;
  bodies: readonly string[];
  suffix: string;
  /** Every body is known to be ASCII: its UTF-8 length is its length. */
  ascii?: boolean;
}

/** What the append path needs of its pool (a Pool passes itself). */
export interface AppendTarget {
  readonly path: string;
  readonly geometry: Geometry;
  readonly ring: RingView;
  readonly reader: RingReader;
  readonly lockTimeoutMs: number;
  mapped(): MappedFile;
  /** Corrupt once the file is shorter than the mapping (spec §10). */
  checkSize(): void;
  state(): PoolState;
}

const timeSplit64 = new BigUint64Array(1);
const timeSplit32 = new Uint32Array(timeSplit64.buffer); // [low, high] on little-endian hosts (the only ones)

/** One pool's writer: its scratch space and the steps of spec §7. */
export class Appender {
  private crcs = new Uint32Array(64);
  private lens = new Uint32Array(64);
  /** The envelope of the text payloads being appended, as bytes. */
  private prefixBytes = new Uint8Array(0);
  private suffixBytes = new Uint8Array(0);
  /** Planned placements of the chunk being written: offset, wrapAt, offset, wrapAt… */
  private readonly pending: number[] = [];
  private readonly planState: PoolState = { gen: 0, headOff: 0, tailOff: 0, oldestSeq: 1, newestSeq: 0, newestTimeNs: 0n };
  private readonly dropState: PoolState = { gen: 0, headOff: 0, tailOff: 0, oldestSeq: 1, newestSeq: 0, newestTimeNs: 0n };

  constructor(private readonly pool: AppendTarget) {}

  /**
   * Appends payloads under one lock acquisition (taken here unless `lockHeld`); returns the first seq. Every
   * payload is checked before the lock is taken: a rejected batch changes nothing.
   */
  append(payloads: readonly Uint8Array[] | TextPayloads, durability: Durability, times: number[] | undefined, lockHeld: boolean): number {
    const pool = this.pool;
    const file = pool.mapped();
    if (!file.writable) {
      throw new PlasmiteError("Permission", `pool is read-only for this user: ${pool.path}`, {
        path: pool.path,
        hint: "Check the pool file's owner and mode.",
      });
    }
    const maxPayload = maxPayloadBytes(pool.geometry.ringSize);
    // A few text payloads (a one-shot poke) are encoded to bytes and take the byte path: both store the same
    // bytes, and the text path's set-up pays for itself only over a batch.
    if (isTextPayloads(payloads) && payloads.bodies.length <= SMALL_TEXT_BATCH) payloads = encodeTexts(payloads);
    const text = isTextPayloads(payloads) ? payloads : null;
    const n = text ? text.bodies.length : (payloads as readonly Uint8Array[]).length;
    if (this.crcs.length < n) {
      this.crcs = new Uint32Array(Math.max(n, this.crcs.length * 2));
      this.lens = new Uint32Array(this.crcs.length);
    }
    // Lengths and checksums (the frame fields of step 4) are computed before the lock so it is held briefly.
    if (text) {
      // the envelope around each body is copied from bytes, its crc extended in JS (a native call per piece
      // would cost more than the few bytes do)
      textEncoder ??= new TextEncoder();
      this.prefixBytes = textEncoder.encode(text.prefix);
      this.suffixBytes = textEncoder.encode(text.suffix);
      const around = this.prefixBytes.length + this.suffixBytes.length;
      const prefixCrc = crc32(this.prefixBytes);
      for (let i = 0; i < n; i++) {
        const body = text.bodies[i];
        this.lens[i] = around + (text.ascii ? body.length : utf8Length(body));
        this.crcs[i] = crc32Extend(crc32Text(body, prefixCrc), this.suffixBytes);
      }
    } else {
      for (let i = 0; i < n; i++) {
        const p = (payloads as readonly Uint8Array[])[i];
        this.lens[i] = p.length;
        this.crcs[i] = crc32(p);
      }
    }
    for (let i = 0; i < n; i++) {
      if (this.lens[i] > maxPayload) {
        throw new PlasmiteError("Usage", `message is ${this.lens[i]} bytes; this pool takes at most ${maxPayload}`, {
          path: pool.path,
          hint: "Create a larger pool (pool create --size) or send a smaller message.",
        });
      }
    }
    if (n === 0) return pool.state().newestSeq + 1;
    // §7 step 1: lock
    if (!lockHeld) lockWithin(file, pool.lockTimeoutMs);
    let first: number;
    try {
      first = this.appendLocked(payloads, durability, times);
    } catch (err) {
      throw withPath(err, pool.path);
    } finally {
      if (!lockHeld) unlock(file);
    }
    noteMessages(n, false); // after the unlock (unless the caller holds it): other writers never wait for a collection
    return first;
  }

  /** Steps 1–7 of spec §7 under the writer lock. */
  private appendLocked(payloads: readonly Uint8Array[] | TextPayloads, durability: Durability, times?: number[]): number {
    const pool = this.pool;
    // §7 step 1: the file is still as long as the mapping (§10), and the published state, read afresh: the
    // reader's cached copy is exact while publish_gen is unchanged (§2.3), and copied to plan on.
    pool.checkSize();
    const ring = pool.ring;
    const ringSize = ring.ringSize;
    const indexCapacity = pool.geometry.indexCapacity;
    const indexStride = pool.geometry.indexStride;
    const s = this.planState;
    copyState(s, pool.reader.state());
    const firstSeq = s.newestSeq + 1;
    const pending = this.pending;
    const text = isTextPayloads(payloads) ? payloads : null;
    const total = text ? text.bodies.length : (payloads as readonly Uint8Array[]).length;
    const prefixBytes = this.prefixBytes.length;
    const suffixBytes = this.suffixBytes.length;
    const dirtyPages = durability === "flush" ? new Set<number>() : null;
    let i = 0;
    while (i < total) {
      // §7 step 2: plan a chunk (§6): every message until one would drop a frame of this chunk (not yet in the
      // ring); the rest of the batch is planned after this chunk is published.
      const baseGen = s.gen;
      const baseHead = s.headOff;
      const baseOldest = s.oldestSeq;
      const baseNewest = s.newestSeq;
      const baseTime = s.newestTimeNs;
      let count = 0;
      // the chunk's first frame dropped every other one (or the pool was empty): it starts the ring afresh at 0
      let restartsRing = false;
      for (; i < total; i++) {
        const head = s.headOff, tail = s.tailOff, oldest = s.oldestSeq, newest = s.newestSeq;
        const frameLen = frameLength(this.lens[i]);
        const placement = planAppend(ring, s, frameLen, baseNewest + 1, count > 0 ? pending[0] : -1);
        if (!placement) {
          s.headOff = head;
          s.tailOff = tail;
          s.oldestSeq = oldest;
          s.newestSeq = newest;
          break;
        }
        const { offset, wrapAt } = placement;
        if (offset % FRAME_ALIGN_BYTES !== 0 || offset + frameLen > ringSize || s.newestSeq !== newest + 1) {
          throw this.broken(`placement of seq ${s.newestSeq} at ${offset} (+${frameLen}) in a ring of ${ringSize}`);
        }
        if (wrapAt >= 0 && (wrapAt % FRAME_ALIGN_BYTES !== 0 || wrapAt >= ringSize)) throw this.broken(`wrap marker at ${wrapAt}`);
        if (count === 0) restartsRing = s.oldestSeq === s.newestSeq;
        pending[count * 2] = offset;
        pending[count * 2 + 1] = wrapAt;
        count++;
      }
      if (count === 0) throw this.broken("planner made no progress");
      let timeNs = nowNs();
      if (timeNs <= baseTime) timeNs = baseTime + 1n;
      // §7 step 3: drops are published before any dropped byte is overwritten.
      let gen = baseGen;
      if (s.oldestSeq > baseOldest) {
        gen = (gen + 1) >>> 0;
        const allDropped = s.oldestSeq > baseNewest;
        const drop = this.dropState;
        drop.gen = gen;
        drop.headOff = baseHead;
        drop.tailOff = allDropped ? baseHead : s.tailOff;
        drop.oldestSeq = s.oldestSeq;
        drop.newestSeq = baseNewest;
        drop.newestTimeNs = baseTime;
        this.checkBeforePublish(drop, baseGen);
        publishState(ring, drop);
      }
      const firstIndex = i - count;
      // where the next frame must start: the published head (0 when the ring starts afresh, §6), then each
      // frame's end
      let expectedOffset = restartsRing ? 0 : baseHead;
      // split through a typed array: the shift and mask would each allocate a BigInt
      timeSplit64[0] = timeNs;
      const timeHi = timeSplit32[1];
      const timeLo = timeSplit32[0];
      for (let k = 0; k < count; k++) {
        const offset = pending[k * 2];
        const wrapAt = pending[k * 2 + 1];
        const seq = baseNewest + 1 + k;
        // the planned frames follow one another: at the head, or at 0 after a wrap marker at the head
        if (wrapAt >= 0 ? wrapAt !== expectedOffset || offset !== 0 : offset !== expectedOffset) {
          throw this.broken(`frame of seq ${seq} planned at ${offset} (wrap ${wrapAt}), the ring's head is ${expectedOffset}`);
        }
        // §7 step 4: the wrap marker, then the frame (kind 0, fields and payload, commit marker last)
        if (wrapAt >= 0) writeWrapMarker(ring, wrapAt);
        const lo = timeLo + k; // timestamps of a chunk are consecutive nanoseconds
        const hi = lo > 0xffffffff ? timeHi + 1 : timeHi;
        const payloadLen = this.lens[firstIndex + k];
        let len: number;
        if (text) {
          writeTextFrame(ring, offset, this.prefixBytes, text.bodies[firstIndex + k], payloadLen - prefixBytes - suffixBytes, this.suffixBytes);
          len = commitFrame(ring, offset, seq, hi, lo >>> 0, payloadLen, this.crcs[firstIndex + k]);
        } else {
          len = writeFrameParts(ring, offset, seq, hi, lo >>> 0, (payloads as readonly Uint8Array[])[firstIndex + k], this.crcs[firstIndex + k]);
        }
        expectedOffset = offset + len === ringSize ? 0 : offset + len;
        if (times) times.push(hi, lo >>> 0);
        // §7 step 5: the index slot of an indexed seq (§3)
        const indexed = indexStride > 0 && seq % indexStride === 0;
        if (indexed) writeIndexSlot(ring, indexCapacity, indexStride, seq, offset);
        if (dirtyPages) {
          markPages(dirtyPages, ring.ringOffset + offset, len);
          if (wrapAt >= 0) markPages(dirtyPages, ring.ringOffset + wrapAt, 4);
          if (indexed) markPages(dirtyPages, ...indexSlotRange(indexCapacity, indexStride, seq));
        }
      }
      // §7 step 6: publish the chunk with one store, then wake sleeping readers
      s.newestTimeNs = count === 1 ? timeNs : timeNs + BigInt(count - 1);
      s.gen = (gen + 1) >>> 0;
      if (s.newestSeq !== baseNewest + count || s.headOff !== expectedOffset) {
        throw this.broken(`chunk of ${count} after seq ${baseNewest} planned to end at seq ${s.newestSeq}, head ${s.headOff}; written to ${expectedOffset}`);
      }
      this.checkBeforePublish(s, gen);
      publishState(ring, s);
      pool.reader.adopt(s);
      if (Atomics.load(ring.words, WAITERS_WORD) !== 0) futexWake(pool.mapped(), PUBLISH_GEN_OFFSET);
    }
    // §7 step 7: with flush durability, msync what was written and the header page before returning
    if (dirtyPages) {
      dirtyPages.add(0);
      for (const [start, len] of pageRuns(dirtyPages)) syncRange(pool.mapped(), start, len);
    }
    return firstSeq;
  }

  /**
   * The state about to be published is one a reader can use: the next gen after the one published now (no other
   * writer published meanwhile), offsets aligned and inside the ring, oldest <= newest + 1.
   */
  private checkBeforePublish(s: PoolState, publishedGen: number): void {
    const ring = this.pool.ring;
    const ringSize = ring.ringSize;
    if (
      (loadPublishGen(ring) >>> 0) !== publishedGen >>> 0 ||
      s.gen !== ((publishedGen + 1) >>> 0) ||
      s.headOff % FRAME_ALIGN_BYTES !== 0 ||
      s.tailOff % FRAME_ALIGN_BYTES !== 0 ||
      s.headOff >= ringSize ||
      s.tailOff >= ringSize ||
      s.oldestSeq > s.newestSeq + 1
    ) {
      throw this.broken(
        `state to publish: gen ${s.gen} after ${publishedGen} (file has ${loadPublishGen(ring) >>> 0}), head ${s.headOff}, tail ${s.tailOff}, seqs ${s.oldestSeq}..${s.newestSeq}, ring ${ringSize}`,
      );
    }
  }

  /** Internal for a failed check, unless the file was truncated under the mapping (Corrupt, spec §10): the
   * mapping then reads zeros where the file ended, which no check of this file's logic can tell apart. */
  private broken(what: string): PlasmiteError {
    this.pool.checkSize();
    return broken(what);
  }
}

/** A check of the append path's own logic failed: nothing was published past the last consistent state. */
function broken(what: string): PlasmiteError {
  return new PlasmiteError("Internal", `append invariant broken: ${what}`, { hint: "This is a bug in plasmite; please report it with `pls doctor POOL`'s output." });
}

/**
 * Writes a text payload into a new frame. The envelope's prefix and suffix go in by `set`, not a byte loop: in a
 * mapping over 2 GiB, byte stores past offset 2^31 leave the JIT's fast path (27 bytes took ~430 ns there).
 */
function writeTextFrame(ring: RingView, offset: number, prefix: Uint8Array, body: string, bodyBytes: number, suffix: Uint8Array): void {
  beginFrame(ring, offset);
  const bytes = ring.bytes;
  const at = payloadStart(ring, offset);
  bytes.set(prefix, at);
  ring.writeText(body, at + prefix.length, bodyBytes);
  bytes.set(suffix, at + prefix.length + bodyBytes);
}

const SMALL_TEXT_BATCH = 4;
let textEncoder: TextEncoder | null = null;

function encodeTexts(t: TextPayloads): Uint8Array[] {
  textEncoder ??= new TextEncoder();
  const out = new Array<Uint8Array>(t.bodies.length);
  for (let i = 0; i < out.length; i++) out[i] = textEncoder.encode(t.prefix + t.bodies[i] + t.suffix);
  return out;
}

function isTextPayloads(p: readonly Uint8Array[] | TextPayloads): p is TextPayloads {
  return !Array.isArray(p);
}

function markPages(pages: Set<number>, start: number, length: number): void {
  for (let p = Math.floor(start / PAGE_SIZE_BYTES); p * PAGE_SIZE_BYTES < start + length; p++) pages.add(p);
}

function pageRuns(pages: Set<number>): Array<[number, number]> {
  const sorted = [...pages].sort((a, b) => a - b);
  const runs: Array<[number, number]> = [];
  for (const p of sorted) {
    const last = runs[runs.length - 1];
    if (last && last[0] + last[1] === p * PAGE_SIZE_BYTES) last[1] += PAGE_SIZE_BYTES;
    else runs.push([p * PAGE_SIZE_BYTES, PAGE_SIZE_BYTES]);
  }
  return runs;
}
