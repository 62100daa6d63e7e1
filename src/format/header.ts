// Pool header layout (spec/format/v2.md §2): geometry, publication words, the two state slots.
// Pure: reads and writes a byte array; never does I/O. Throws PlasmiteError without a path (the pool adds it).
import { PlasmiteError } from "../errors.ts";
import { crc32 } from "./crc32.ts";
import {
  AUTO_INDEX_BYTES_PER_SLOT,
  AUTO_INDEX_BYTES_PER_SLOT_LARGE,
  FORMAT_VERSION,
  HEADER_SIZE_BYTES,
  INDEX_SLOT_BYTES,
  MIN_AUTO_INDEX_BUDGET,
  MIN_FRAME_BYTES,
  MAX_POOL_SIZE_BYTES,
  MIN_POOL_SIZE_BYTES,
  MIN_RING_SIZE_BYTES,
  alignPage,
} from "./limits.ts";
import { loadWord, type RingView } from "./ring.ts";
import { indexStride } from "./seq-index.ts";
import { readU64, readU64Big, writeU64, writeU64Big } from "./u64.ts";

export const MAGIC = "PLASMITE";
const MAGIC_BYTES = new TextEncoder().encode(MAGIC);

// Geometry field offsets.
const OFF_VERSION = 8;
const OFF_HEADER_SIZE = 12;
const OFF_FILE_SIZE = 16;
const OFF_INDEX_OFFSET = 24;
const OFF_INDEX_CAPACITY = 32;
const OFF_FLAGS = 36;
const OFF_RING_OFFSET = 40;
const OFF_RING_SIZE = 48;
const OFF_CREATED_NS = 56;
const OFF_GEOMETRY_CRC = 64;
const GEOMETRY_BYTES = 64;

/** Byte offset of publish_gen, the publish point and futex word. */
export const PUBLISH_GEN_OFFSET = 128;
export const WAITERS_OFFSET = 132;
export const PUBLISH_GEN_WORD = PUBLISH_GEN_OFFSET >> 2;
export const WAITERS_WORD = WAITERS_OFFSET >> 2;

const SLOT_OFFSETS = [192, 256] as const;
const SLOT_CRC_OFFSET = 48;

export interface Geometry {
  fileSize: number;
  indexOffset: number;
  indexCapacity: number;
  /** Seqs per index slot, derived from indexCapacity and ringSize (spec §3; not stored). 0 without an index. */
  indexStride: number;
  ringOffset: number;
  ringSize: number;
  createdNs: bigint;
}

/** The published state of a pool (one state slot). */
export interface PoolState {
  gen: number;
  headOff: number;
  tailOff: number;
  oldestSeq: number;
  newestSeq: number;
  newestTimeNs: bigint;
}

/** Copies every field of `from` into `to` (field by field: Object.assign costs ~40 ns, a tenth of an append). */
export function copyState(to: PoolState, from: PoolState): PoolState {
  to.gen = from.gen;
  to.headOff = from.headOff;
  to.tailOff = from.tailOff;
  to.oldestSeq = from.oldestSeq;
  to.newestSeq = from.newestSeq;
  to.newestTimeNs = from.newestTimeNs;
  return to;
}

function corrupt(message: string, offset?: number): PlasmiteError {
  return new PlasmiteError("Corrupt", message, {
    offset,
    hint: "Run `pls doctor POOL` for details; a corrupt pool must be recreated.",
  });
}

/**
 * Default index slots for a pool of this size (spec §3): enough for the smallest stride the budget allows, the
 * budget being one slot per 128 bytes of a small pool and per 1024 bytes of a large one. 0 when the ring would
 * get too small.
 */
export function autoIndexCapacity(fileSize: number): number {
  const budget = Math.min(Math.floor(fileSize / AUTO_INDEX_BYTES_PER_SLOT), Math.max(MIN_AUTO_INDEX_BUDGET, Math.floor(fileSize / AUTO_INDEX_BYTES_PER_SLOT_LARGE)));
  const maxFrames = Math.floor((fileSize - HEADER_SIZE_BYTES) / MIN_FRAME_BYTES); // the ring is smaller than this
  let cap = 0;
  for (let stride = 1; stride <= maxFrames; stride *= 2) {
    cap = Math.ceil(maxFrames / stride) + 1;
    if (cap <= budget) break;
  }
  return cap > 0 && cap <= budget && fileSize - alignPage(HEADER_SIZE_BYTES + cap * INDEX_SLOT_BYTES) >= MIN_RING_SIZE_BYTES ? cap : 0;
}

/** Lays out a new pool; throws Usage for sizes the format cannot hold. */
export function planGeometry(fileSize: number, indexCapacity?: number): Geometry {
  if (!Number.isSafeInteger(fileSize) || fileSize < MIN_POOL_SIZE_BYTES || fileSize > MAX_POOL_SIZE_BYTES) {
    throw new PlasmiteError("Usage", `pool size ${fileSize} is out of range (${MIN_POOL_SIZE_BYTES} bytes to 4G)`, {
      hint: "Use a size such as 64K, 1M (the default) or 256M.",
    });
  }
  if (fileSize % 8 !== 0) {
    throw new PlasmiteError("Usage", `pool size ${fileSize} must be a multiple of 8 bytes`, { hint: "Use a size such as 64K or 1M." });
  }
  const cap = indexCapacity ?? autoIndexCapacity(fileSize);
  if (!Number.isSafeInteger(cap) || cap < 0 || cap * INDEX_SLOT_BYTES > fileSize / 2) {
    throw new PlasmiteError("Usage", `index capacity ${cap} is out of range for a ${fileSize}-byte pool (at most ${Math.floor(fileSize / 2 / INDEX_SLOT_BYTES)})`, {
      hint: "Omit --index-capacity for automatic sizing, or use 0 to disable the index.",
    });
  }
  const ringOffset = alignPage(HEADER_SIZE_BYTES + cap * INDEX_SLOT_BYTES);
  const ringSize = fileSize - ringOffset;
  if (ringSize < MIN_RING_SIZE_BYTES) {
    throw new PlasmiteError("Usage", `pool size ${fileSize} leaves a ring of ${ringSize} bytes (minimum ${MIN_RING_SIZE_BYTES}) with ${cap} index slots`, {
      hint: "Use a larger pool or a smaller --index-capacity.",
    });
  }
  return { fileSize, indexOffset: HEADER_SIZE_BYTES, indexCapacity: cap, indexStride: indexStride(cap, ringSize), ringOffset, ringSize, createdNs: 0n };
}

/** Writes a fresh header (geometry, gen 0, empty state in slot 0) into `bytes` (at least the 4096-byte header). */
export function encodeHeader(bytes: Uint8Array, g: Geometry): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_SIZE_BYTES);
  bytes.fill(0, 0, HEADER_SIZE_BYTES);
  bytes.set(MAGIC_BYTES, 0);
  view.setUint32(OFF_VERSION, FORMAT_VERSION, true);
  view.setUint32(OFF_HEADER_SIZE, HEADER_SIZE_BYTES, true);
  writeU64(view, OFF_FILE_SIZE, g.fileSize);
  writeU64(view, OFF_INDEX_OFFSET, g.indexOffset);
  view.setUint32(OFF_INDEX_CAPACITY, g.indexCapacity, true);
  view.setUint32(OFF_FLAGS, 0, true);
  writeU64(view, OFF_RING_OFFSET, g.ringOffset);
  writeU64(view, OFF_RING_SIZE, g.ringSize);
  writeU64Big(view, OFF_CREATED_NS, g.createdNs);
  view.setUint32(OFF_GEOMETRY_CRC, crc32(bytes, 0, GEOMETRY_BYTES), true);
  writeStateSlot(bytes, { gen: 0, headOff: 0, tailOff: 0, oldestSeq: 1, newestSeq: 0, newestTimeNs: 0n });
}

/** Reads and checks the geometry against the real file length. Throws Corrupt (or Usage for another version). */
export function decodeGeometry(bytes: Uint8Array, actualFileSize: number): Geometry {
  if (actualFileSize < HEADER_SIZE_BYTES || bytes.length < HEADER_SIZE_BYTES) {
    throw corrupt(`file is ${actualFileSize} bytes, shorter than the ${HEADER_SIZE_BYTES}-byte pool header`, 0);
  }
  for (let i = 0; i < MAGIC_BYTES.length; i++) {
    if (bytes[i] !== MAGIC_BYTES[i]) throw corrupt("not a plasmite pool file (bad magic)", 0);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_SIZE_BYTES);
  const version = view.getUint32(OFF_VERSION, true);
  if (version !== FORMAT_VERSION) {
    throw new PlasmiteError("Usage", `unsupported pool format version ${version} (this plasmite reads version ${FORMAT_VERSION})`, {
      hint: version > FORMAT_VERSION
        ? "Upgrade plasmite to read this pool."
        : `The pool was made by an older plasmite: recreate it with this one (format ${FORMAT_VERSION}), e.g. pls pool delete NAME && pls pool create NAME.`,
      offset: OFF_VERSION,
    });
  }
  if (view.getUint32(OFF_GEOMETRY_CRC, true) !== crc32(bytes, 0, GEOMETRY_BYTES)) {
    throw corrupt("pool header checksum mismatch", OFF_GEOMETRY_CRC);
  }
  const g: Geometry = {
    fileSize: readU64(view, OFF_FILE_SIZE),
    indexOffset: readU64(view, OFF_INDEX_OFFSET),
    indexCapacity: view.getUint32(OFF_INDEX_CAPACITY, true),
    indexStride: 0,
    ringOffset: readU64(view, OFF_RING_OFFSET),
    ringSize: readU64(view, OFF_RING_SIZE),
    createdNs: readU64Big(view, OFF_CREATED_NS),
  };
  if (view.getUint32(OFF_HEADER_SIZE, true) !== HEADER_SIZE_BYTES) throw corrupt("bad header size", OFF_HEADER_SIZE);
  if (view.getUint32(OFF_FLAGS, true) !== 0) throw corrupt("unknown header flags", OFF_FLAGS);
  if (g.fileSize !== actualFileSize) {
    throw corrupt(`header says ${g.fileSize} bytes but the file is ${actualFileSize} bytes (truncated or extended)`, OFF_FILE_SIZE);
  }
  if (g.indexOffset !== HEADER_SIZE_BYTES) throw corrupt("bad index offset", OFF_INDEX_OFFSET);
  if (g.ringOffset !== alignPage(HEADER_SIZE_BYTES + g.indexCapacity * INDEX_SLOT_BYTES)) throw corrupt("bad ring offset", OFF_RING_OFFSET);
  if (g.ringSize < MIN_RING_SIZE_BYTES || g.ringSize % 8 !== 0 || g.ringOffset + g.ringSize !== g.fileSize) {
    throw corrupt("bad ring size", OFF_RING_SIZE);
  }
  g.indexStride = indexStride(g.indexCapacity, g.ringSize);
  return g;
}

/** Writes the inactive slot for `state.gen` into a header byte array (does not publish it). */
export function writeStateSlot(bytes: Uint8Array, state: PoolState): void {
  writeSlotWords(new Uint32Array(bytes.buffer, bytes.byteOffset, HEADER_SIZE_BYTES >>> 2), new DataView(bytes.buffer, bytes.byteOffset, HEADER_SIZE_BYTES), bytes, state);
}

function writeSlotWords(u32: Uint32Array, view: DataView, bytes: Uint8Array, state: PoolState): void {
  const base = SLOT_OFFSETS[state.gen & 1];
  const w = base >>> 2;
  u32[w] = state.gen >>> 0;
  u32[w + 1] = 0;
  u32[w + 2] = state.headOff >>> 0;
  u32[w + 3] = Math.floor(state.headOff / 4294967296);
  u32[w + 4] = state.tailOff >>> 0;
  u32[w + 5] = Math.floor(state.tailOff / 4294967296);
  u32[w + 6] = state.oldestSeq >>> 0;
  u32[w + 7] = Math.floor(state.oldestSeq / 4294967296);
  u32[w + 8] = state.newestSeq >>> 0;
  u32[w + 9] = Math.floor(state.newestSeq / 4294967296);
  view.setBigUint64(base + 40, state.newestTimeNs, true); // one store, no intermediate BigInts
  u32[w + (SLOT_CRC_OFFSET >>> 2)] = crc32(bytes, base, base + SLOT_CRC_OFFSET);
}

/** Publishes `state` (whose gen must be the current gen + 1): slot first, then the single gen store. */
export function publishState(ring: RingView, state: PoolState): void {
  writeSlotWords(ring.u32, ring.view, ring.bytes, state);
  Atomics.store(ring.words, PUBLISH_GEN_WORD, state.gen | 0);
}

export function loadPublishGen(ring: RingView): number {
  return loadWord(ring, PUBLISH_GEN_WORD);
}

/**
 * Reads the published state without a lock (spec §2.3). Returns null when a writer published concurrently
 * (the caller retries); throws Corrupt when the active slot is invalid under a stable gen.
 */
export function tryReadState(ring: RingView): PoolState | null {
  const g1 = loadPublishGen(ring);
  const base = SLOT_OFFSETS[g1 & 1];
  const w = base >>> 2;
  const u = ring.u32;
  const gen = u[w];
  const crcOk = u[w + (SLOT_CRC_OFFSET >>> 2)] === crc32(ring.bytes, base, base + SLOT_CRC_OFFSET);
  const state: PoolState = {
    gen,
    headOff: u64At(u, w + 2),
    tailOff: u64At(u, w + 4),
    oldestSeq: u64At(u, w + 6),
    newestSeq: u64At(u, w + 8),
    newestTimeNs: ring.view.getBigUint64(base + 40, true),
  };
  if (loadPublishGen(ring) !== g1) return null;
  if (gen !== g1 || !crcOk) throw corrupt(`pool state slot ${g1 & 1} is invalid for generation ${g1}`, base);
  const problem = stateProblem(state, ring.ringSize);
  if (problem) throw corrupt(`pool state is inconsistent: ${problem}`, base);
  return state;
}

/** A u64 field at word index `w` as a number, or -1 when it is not below 2^53 (then reported Corrupt). */
function u64At(u: Uint32Array, w: number): number {
  const hi = u[w + 1];
  return hi > 0x1fffff ? -1 : hi * 4294967296 + u[w];
}

/** Reads the published state, retrying while writers publish concurrently. */
export function readState(ring: RingView): PoolState {
  for (let attempt = 0; ; attempt++) {
    const s = tryReadState(ring);
    if (s) return s;
    if (attempt > 1_000_000) throw new PlasmiteError("Busy", "pool state kept changing while being read");
  }
}

function stateProblem(s: PoolState, ringSize: number): string | null {
  if (s.headOff < 0 || s.headOff >= ringSize || s.headOff % 8 !== 0) return `head offset ${s.headOff} out of range`;
  if (s.tailOff < 0 || s.tailOff >= ringSize || s.tailOff % 8 !== 0) return `tail offset ${s.tailOff} out of range`;
  if (s.oldestSeq < 1 || s.newestSeq < 0) return "seq fields out of range";
  if (s.oldestSeq > s.newestSeq + 1) return `oldest seq ${s.oldestSeq} is beyond newest seq ${s.newestSeq} + 1`;
  if (s.oldestSeq === s.newestSeq + 1 && s.headOff !== s.tailOff) return "empty pool with head != tail";
  return null;
}

export function isEmpty(s: PoolState): boolean {
  return s.oldestSeq > s.newestSeq;
}

/** Bytes of the ring holding retained frames (including a wrap gap). */
export function usedBytes(s: PoolState, ringSize: number): number {
  if (isEmpty(s)) return 0;
  if (s.headOff > s.tailOff) return s.headOff - s.tailOff;
  return ringSize - s.tailOff + s.headOff;
}
