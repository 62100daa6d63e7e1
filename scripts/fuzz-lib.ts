// Pool-file fuzzing (used by scripts/fuzz-pool.ts): valid base pools, byte-level mutations of them, and the
// checks that a damaged pool is either reported (PlasmiteError Corrupt/Usage with path and offset) or read back
// byte-identical to what was written. The oracle re-derives the layout from spec/format/v2.md on its own; it
// uses the engine only to build the bases and as the code under test.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PlasmiteError, type ErrorKind } from "../src/errors.ts";
import { crc32 } from "../src/format/crc32.ts";
import type { PoolState } from "../src/format/header.ts";
import { encodePayload } from "../src/format/payload.ts";
import { Cursor, type CursorStart } from "../src/pool/cursor.ts";
import { doctorPool, type DoctorReport } from "../src/pool/doctor.ts";
import { openMappingCount } from "../src/pool/open-files.ts";
import { Pool } from "../src/pool/pool.ts";
import type { StoredMessage } from "../src/pool/reader.ts";

// Layout constants, restated from the spec so the oracle does not trust the code it checks.
const HEADER = 4096;
const KIND_FRM1 = 0x314d5246;
const KIND_WRAP = 0x50415257;
const SLOTS = [192, 256];
const MAX_U64_HI = 0x1fffff;
/** A single check slower than this is a hang. */
export const HANG_MS = 2000;
/** A cursor returning more items than this from a static file never ends. */
const MAX_ITEMS = 100_000;

// ---------------------------------------------------------------------------------------------- random numbers

function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Deterministic PRNG (mulberry32) for one stream of one seed: case N of seed S always makes the same file. */
export class Rng {
  private s: number;
  constructor(seed: number, stream: number) {
    this.s = fmix32((seed >>> 0) ^ fmix32((stream + 0x9e3779b9) >>> 0));
  }
  u32(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = Math.imul(this.s ^ (this.s >>> 15), 1 | this.s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  }
  float(): number {
    return this.u32() / 4294967296;
  }
  /** 0 <= n < max */
  int(max: number): number {
    return Math.floor(this.float() * max);
  }
  /** lo <= n <= hi */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  /** Log-uniform in [lo, hi]: small sizes as likely as big ones. */
  logRange(lo: number, hi: number): number {
    return Math.min(hi, Math.floor(Math.exp(Math.log(lo) + this.float() * (Math.log(hi + 1) - Math.log(lo)))));
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}

// ---------------------------------------------------------------------------------------------- layout helpers

const align8 = (n: number) => Math.ceil(n / 8) * 8;
const alignPage = (n: number) => Math.ceil(n / 4096) * 4096;
const frameLen = (payloadLen: number) => align8(32 + payloadLen);

function dv(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
function u32At(bytes: Uint8Array, off: number): number {
  return off + 4 <= bytes.length ? dv(bytes).getUint32(off, true) : -1;
}
function setU32(bytes: Uint8Array, off: number, v: number): void {
  if (off >= 0 && off + 4 <= bytes.length) dv(bytes).setUint32(off, v >>> 0, true);
}
/** A u64 as a number, or -1 when it is 2^53 or more (the spec's "Corrupt" range). */
function u64At(bytes: Uint8Array, off: number): number {
  const hi = u32At(bytes, off + 4);
  return hi < 0 || hi > MAX_U64_HI ? -1 : hi * 4294967296 + u32At(bytes, off);
}
function setU64(bytes: Uint8Array, off: number, v: number): void {
  setU32(bytes, off, v % 4294967296);
  setU32(bytes, off + 4, Math.floor(v / 4294967296));
}

/** A frame as found in a base file (offsets ring-relative). */
export interface FrameRec {
  seq: number;
  off: number;
  payloadLen: number;
  frameLen: number;
}

/** An intact frame at ring offset `off` of `bytes` (kind, header crc, bounds, payload crc), or null. */
function intactFrameAt(bytes: Uint8Array, ringOffset: number, ringSize: number, off: number): FrameRec | null {
  const abs = ringOffset + off;
  if (off + 32 > ringSize || u32At(bytes, abs) !== KIND_FRM1) return null;
  if (u32At(bytes, abs + 28) !== crc32(bytes, abs + 4, abs + 28)) return null;
  const payloadLen = u32At(bytes, abs + 4);
  if (payloadLen > ringSize - 32 || frameLen(payloadLen) > ringSize - off) return null;
  if (u32At(bytes, abs + 24) !== crc32(bytes, abs + 32, abs + 32 + payloadLen)) return null;
  const seq = u64At(bytes, abs + 8);
  return seq < 1 ? null : { seq, off, payloadLen, frameLen: frameLen(payloadLen) };
}

interface SlotFields {
  gen: number;
  head: number;
  tail: number;
  oldest: number;
  newest: number;
}

function readSlot(bytes: Uint8Array, base: number): SlotFields {
  return { gen: u32At(bytes, base), head: u64At(bytes, base + 8), tail: u64At(bytes, base + 16), oldest: u64At(bytes, base + 24), newest: u64At(bytes, base + 32) };
}

function activeSlotBase(bytes: Uint8Array): number {
  return SLOTS[u32At(bytes, 128) & 1];
}

/** What opening must do with these bytes, derived from the spec alone: "any" where the spec leaves it open. */
export function expectedOpen(bytes: Uint8Array): "ok" | "corrupt" | "usage" | "any" {
  if (bytes.length < HEADER) return "corrupt";
  if (new TextDecoder().decode(bytes.subarray(0, 8)) !== "PLASMITE") return "corrupt";
  if (u32At(bytes, 8) !== 2) return "usage";
  if (u32At(bytes, 64) !== crc32(bytes, 0, 64)) return "corrupt";
  const fileSize = u64At(bytes, 16);
  const cap = u32At(bytes, 32);
  const ringOffset = u64At(bytes, 40);
  const ringSize = u64At(bytes, 48);
  if (u32At(bytes, 12) !== HEADER || u32At(bytes, 36) !== 0 || u64At(bytes, 24) !== HEADER) return "corrupt";
  if (fileSize !== bytes.length || ringOffset !== alignPage(HEADER + 8 * cap)) return "corrupt";
  if (ringSize < 4096 || ringSize % 8 !== 0 || ringOffset + ringSize !== fileSize) return "corrupt";
  const gen = u32At(bytes, 128);
  const base = SLOTS[gen & 1];
  if (u32At(bytes, base + 48) !== crc32(bytes, base, base + 48)) return "corrupt";
  const s = readSlot(bytes, base);
  if (s.gen !== gen) return "corrupt";
  if (s.head < 0 || s.tail < 0 || s.oldest < 0 || s.newest < 0) return "corrupt";
  if (s.head >= ringSize || s.head % 8 !== 0 || s.tail >= ringSize || s.tail % 8 !== 0) return "corrupt";
  if (s.oldest > s.newest + 1) return "corrupt";
  if (s.oldest === s.newest + 1 && s.head !== s.tail) return "corrupt";
  if (s.oldest < 1) return "any"; // seq 0 is never assigned; the spec does not say how a reader must react
  return "ok";
}

// ---------------------------------------------------------------------------------------------- base pools

/** A valid pool file and everything written to it, captured before any mutation. */
export interface Base {
  name: string;
  bytes: Uint8Array;
  ringOffset: number;
  ringSize: number;
  indexCapacity: number;
  state: PoolState;
  /** Retained frames, oldest first. */
  frames: FrameRec[];
  /** Intact frames older than the oldest retained seq (dropped, not yet overwritten). */
  stale: FrameRec[];
  /** Every message ever appended, by seq: the only bytes a reader may return for that seq. */
  written: Map<number, { payload: Uint8Array; timeNs: bigint }>;
  /** 1 for each byte a correct read of the retained messages depends on; index, free space and padding are 0. */
  care: Uint8Array;
}

const GEOMETRIES: Array<{ name: string; sizeBytes: number; indexCapacity?: number }> = [
  { name: "8k-cap0", sizeBytes: 8192, indexCapacity: 0 },
  { name: "12k-cap5", sizeBytes: 12288, indexCapacity: 5 },
  { name: "12k-auto", sizeBytes: 12288 },
  { name: "64k-cap0", sizeBytes: 65536, indexCapacity: 0 },
  { name: "64k-cap7", sizeBytes: 65536, indexCapacity: 7 },
  { name: "64k-auto", sizeBytes: 65536 },
  { name: "64k-cap600", sizeBytes: 65536, indexCapacity: 600 },
];

const FILLS = ["empty", "one", "one-max", "few", "mixed", "small", "big", "exact", "stale"] as const;
type Fill = (typeof FILLS)[number];

const CHARS = ["a", "b", "z", "0", "7", " ", "-", ":", "é", "€", "😀"];
const charBytes = (c: string) => new TextEncoder().encode(c).length;

/** A payload of exactly `target` bytes (or the smallest possible) in the documented JSON shape. */
function makePayload(rng: Rng, target: number): Uint8Array {
  const tags = rng.chance(0.6) ? [] : rng.chance(0.5) ? ["t"] : ["sensor", "é"];
  let fill = target - encodePayload({ s: "" }, tags).length;
  if (fill < 0) return encodePayload({}, tags);
  let s = "";
  while (fill > 0) {
    const c = rng.chance(0.9) ? CHARS[rng.int(7)] : rng.pick(CHARS);
    const n = charBytes(c);
    if (n > fill) continue;
    s += c;
    fill -= n;
  }
  return encodePayload({ s }, tags);
}

/** Builds one base pool file, records what was written, then reads the file's bytes. */
function buildBase(dir: string, rng: Rng, geometry: (typeof GEOMETRIES)[number], fill: Fill): Base {
  const path = join(dir, `base-${geometry.name}-${fill}.plasmite`);
  rmSync(path, { force: true });
  const pool = Pool.create(path, { sizeBytes: geometry.sizeBytes, indexCapacity: geometry.indexCapacity });
  const written = new Map<number, { payload: Uint8Array; timeNs: bigint }>();
  try {
    const ringSize = pool.geometry.ringSize;
    const maxPayload = ringSize - 32;
    const append = (sizes: number[]) => {
      const payloads = sizes.map((n) => makePayload(rng, Math.min(maxPayload, Math.max(1, n))));
      const times: number[] = [];
      const first = pool.appendPayloads(payloads, "fast", times);
      payloads.forEach((payload, i) => written.set(first + i, { payload, timeNs: (BigInt(times[2 * i]) << 32n) | BigInt(times[2 * i + 1]) }));
    };
    const wrapped = () => {
      const s = pool.state();
      return s.oldestSeq <= s.newestSeq && s.tailOff > s.headOff && s.headOff !== 0;
    };
    const fillRing = (size: () => number, needWrap: boolean) => {
      let total = 0;
      for (let i = 0; i < 5000 && (total < 2.5 * ringSize || (needWrap && !wrapped())); i++) {
        const batch = Array.from({ length: rng.chance(0.3) ? rng.range(2, 6) : 1 }, size);
        append(batch);
        total += batch.reduce((a, n) => a + frameLen(n), 0);
      }
    };
    switch (fill) {
      case "empty":
        break;
      case "one":
        append([rng.logRange(30, maxPayload)]);
        break;
      case "one-max":
        append([maxPayload]); // fills the ring exactly: head == tail == 0 with one message retained
        break;
      case "few": {
        let used = 0;
        for (let n = rng.range(3, 8); n > 0; n--) {
          const size = rng.logRange(30, Math.floor(ringSize / 6));
          if (used + frameLen(size) > ringSize * 0.9) break;
          used += frameLen(size);
          append([size]);
        }
        break;
      }
      case "mixed":
        fillRing(() => rng.logRange(30, Math.floor(maxPayload / 3)), true);
        break;
      case "small":
        fillRing(() => rng.range(30, 300), true);
        break;
      case "big":
        fillRing(() => rng.range(Math.floor(maxPayload / 4), maxPayload), false);
        break;
      case "exact":
        fillRing(() => 1024 - 32, false); // frames tile the ring: wraps without a WRAP marker
        break;
      case "stale": {
        // Quarters, two eighths, two quarters, then a frame that wraps and drops everything: the two
        // eighths at the ring's end stay intact but dropped (what a rewritten state could expose).
        const q = ringSize / 4;
        const e = ringSize / 8;
        for (const len of [q, q, q, e, e, q, q, ringSize / 2 + 64, 96, 200]) append([len - 32]);
        break;
      }
    }
    const state = { ...pool.state() };
    // Read back every retained seq with get before anything is mutated.
    for (let seq = state.oldestSeq; seq <= state.newestSeq; seq++) {
      const m = pool.get(seq);
      const w = written.get(seq);
      if (!w || !sameBytes(m.payload, w.payload) || m.timeNs !== w.timeNs) throw new Error(`base ${path}: get(${seq}) differs from what was written`);
    }
    const g = pool.geometry;
    pool.close();
    const bytes = new Uint8Array(readFileSync(path));
    rmSync(path, { force: true });
    return describeBase(`${geometry.name}/${fill}`, bytes, g.ringOffset, g.ringSize, g.indexCapacity, state, written);
  } catch (err) {
    pool.close();
    throw err;
  }
}

/** Walks the retained frames of a fresh base (spec §8 step 2) and marks the bytes reads depend on. */
function describeBase(
  name: string,
  bytes: Uint8Array,
  ringOffset: number,
  ringSize: number,
  indexCapacity: number,
  state: PoolState,
  written: Base["written"],
): Base {
  const care = new Uint8Array(bytes.length);
  care.fill(1, 0, HEADER);
  care.fill(0, 132, 136); // waiters: readers add and subtract, nobody validates
  const inactive = SLOTS[(state.gen + 1) & 1];
  care.fill(0, inactive, inactive + 56); // "the inactive slot holds garbage that nobody reads"
  const frames: FrameRec[] = [];
  let off = state.tailOff;
  for (let seq = state.oldestSeq; seq <= state.newestSeq; seq++) {
    if (off === ringSize) off = 0;
    if (u32At(bytes, ringOffset + off) === KIND_WRAP) {
      care.fill(1, ringOffset + off, ringOffset + off + 4);
      off = 0;
    }
    const f = intactFrameAt(bytes, ringOffset, ringSize, off);
    const w = written.get(seq);
    if (!f || f.seq !== seq || !w || !sameBytes(bytes.subarray(ringOffset + off + 32, ringOffset + off + 32 + f.payloadLen), w.payload)) {
      throw new Error(`base ${name}: retained seq ${seq} is not intact at ring offset ${off}`);
    }
    frames.push(f);
    care.fill(1, ringOffset + off, ringOffset + off + 32 + f.payloadLen);
    off += f.frameLen;
  }
  const stale: FrameRec[] = [];
  for (let o = 0; o + 32 <= ringSize; o += 8) {
    const f = intactFrameAt(bytes, ringOffset, ringSize, o);
    if (f && f.seq < state.oldestSeq) stale.push(f);
  }
  return { name, bytes, ringOffset, ringSize, indexCapacity, state, frames, stale, written, care };
}

/** Every geometry crossed with every fill, deterministic for a seed (timestamps aside). */
export function buildBases(dir: string, seed: number): Base[] {
  const rng = new Rng(seed, 0x7fffffff);
  const bases: Base[] = [];
  for (const g of GEOMETRIES) for (const fill of FILLS) bases.push(buildBase(dir, rng, g, fill));
  return bases;
}

// ---------------------------------------------------------------------------------------------- mutations

/** The case file being mutated; mutations may replace `bytes` (truncate, extend). */
interface Target {
  bytes: Uint8Array;
}

type Mutator = (rng: Rng, base: Base, t: Target) => string;

/** A retained frame (mostly), a stale one, or a made-up 8-aligned spot. */
function pickFrame(rng: Rng, base: Base): FrameRec {
  if (base.frames.length > 0 && (rng.chance(0.85) || base.stale.length === 0)) return rng.pick(base.frames);
  if (base.stale.length > 0) return rng.pick(base.stale);
  const off = 8 * rng.int((base.ringSize - 64) / 8);
  return { seq: 0, off, payloadLen: 32, frameLen: 64 };
}

function ringOffsetAligned(rng: Rng, base: Base): number {
  return 8 * rng.int(base.ringSize / 8);
}

function fixHeaderCrc(bytes: Uint8Array, abs: number): void {
  if (abs + 32 <= bytes.length) setU32(bytes, abs + 28, crc32(bytes, abs + 4, abs + 28));
}

/**
 * Re-signs a frame header as if only the bytes in [from, to) had changed since the base file: other damage to
 * the header (an earlier mutation in the same case) stays detectable. Signing the tampered bytes as a whole
 * would forge a frame no reader could ever tell from a real one.
 */
function fixHeaderCrcOnly(bytes: Uint8Array, baseBytes: Uint8Array, abs: number, from: number, to: number): void {
  if (abs + 32 > bytes.length || abs + 32 > baseBytes.length) return;
  const header = baseBytes.slice(abs, abs + 32);
  header.set(bytes.subarray(abs + from, abs + to), from);
  setU32(bytes, abs + 28, crc32(header, 4, 28));
}

function fixSlotCrc(bytes: Uint8Array, base: number): void {
  setU32(bytes, base + 48, crc32(bytes, base, base + 48));
}

function fixGeometryCrc(bytes: Uint8Array): void {
  setU32(bytes, 64, crc32(bytes, 0, 64));
}

function resize(t: Target, length: number, rng: Rng, garbage: boolean): void {
  const next = new Uint8Array(length);
  next.set(t.bytes.subarray(0, Math.min(length, t.bytes.length)));
  if (garbage && length > t.bytes.length) next.set(rng.bytes(length - t.bytes.length), t.bytes.length);
  t.bytes = next;
}

const HEADER_FIELDS: Array<[number, number, string]> = [
  [0, 8, "magic"],
  [8, 12, "version"],
  [12, 16, "header_size"],
  [16, 24, "file_size"],
  [24, 32, "index_offset"],
  [32, 36, "index_capacity"],
  [36, 40, "flags"],
  [40, 48, "ring_offset"],
  [48, 56, "ring_size"],
  [56, 64, "created_ns"],
  [64, 68, "geometry_crc"],
  [128, 132, "publish_gen"],
  [132, 136, "waiters"],
  [192, 248, "slot0"],
  [256, 312, "slot1"],
];

const mutators: Array<[weight: number, name: string, fn: Mutator]> = [
  [8, "flip", (rng, _b, t) => {
    const parts: string[] = [];
    for (let n = rng.range(1, 4); n > 0; n--) {
      const off = rng.int(t.bytes.length);
      const mask = 1 << rng.int(8);
      t.bytes[off] ^= mask;
      parts.push(`${off}^${mask}`);
    }
    return `flip ${parts.join(",")}`;
  }],
  [6, "bytes", (rng, _b, t) => {
    const off = rng.int(t.bytes.length);
    const n = Math.min(rng.logRange(1, 64), t.bytes.length - off);
    t.bytes.set(rng.bytes(n), off);
    return `random ${n} bytes @${off}`;
  }],
  [10, "header", (rng, _b, t) => {
    const [start, end, name] = rng.pick(HEADER_FIELDS);
    const off = rng.range(start, end - 1);
    if (rng.chance(0.5)) t.bytes[off] ^= 1 << rng.int(8);
    else t.bytes[off] = rng.u32() & 0xff;
    return `header ${name} byte @${off} -> ${t.bytes[off]}`;
  }],
  [2, "version", (rng, _b, t) => {
    const v = rng.pick([0, 2, 3, 0xffffffff, rng.u32()]);
    setU32(t.bytes, 8, v);
    return `version -> ${v}`;
  }],
  [4, "truncate", (rng, base, t) => {
    const len = t.bytes.length;
    const to = Math.min(len - 1, rng.pick([0, 4, 4095, 4096, rng.int(len), len - 8, len - 1, base.ringOffset, base.ringOffset + rng.int(base.ringSize)]));
    resize(t, Math.max(0, to), rng, false);
    return `truncate to ${t.bytes.length}`;
  }],
  [3, "extend", (rng, _b, t) => {
    const n = rng.pick([1, 7, 8, 4096, rng.range(1, 8192)]);
    const garbage = rng.chance(0.7);
    resize(t, t.bytes.length + n, rng, garbage);
    return `extend by ${n} ${garbage ? "garbage" : "zero"} bytes`;
  }],
  [10, "frame-len", (rng, base, t) => {
    const f = pickFrame(rng, base);
    const abs = base.ringOffset + f.off;
    const maxPayload = base.ringSize - 32;
    const v = rng.pick([0, 1, 0xffffffff, 0x80000000, maxPayload, maxPayload + 1, base.ringSize, base.ringSize - 32 - f.off, f.payloadLen + 8, f.payloadLen - 8, f.payloadLen + 1, f.payloadLen - 1, rng.u32(), rng.int(base.ringSize)]) >>> 0;
    setU32(t.bytes, abs + 4, v);
    const fix = rng.chance(0.5);
    if (fix) fixHeaderCrcOnly(t.bytes, base.bytes, abs, 4, 8);
    return `frame seq ${f.seq} @ring ${f.off}: payload_len -> ${v}${fix ? " (header crc fixed)" : ""}`;
  }],
  [6, "frame-seq", (rng, base, t) => {
    const f = pickFrame(rng, base);
    const abs = base.ringOffset + f.off;
    if (rng.chance(0.6)) {
      const v = rng.pick([f.seq + 1, f.seq - 1, 0, rng.u32(), f.seq + 4294967296]);
      setU64(t.bytes, abs + 8, Math.max(0, v));
      return `frame seq ${f.seq} @ring ${f.off}: seq -> ${Math.max(0, v)}`;
    }
    // Forged (header crc fixed) only to seqs no reader may ever accept: 0, or 2^53 and above.
    const hi = rng.chance(0.5) ? 0 : rng.pick([0x200000, 0xffffffff, 0x80000000]);
    setU32(t.bytes, abs + 8, hi === 0 ? 0 : rng.u32());
    setU32(t.bytes, abs + 12, hi);
    fixHeaderCrcOnly(t.bytes, base.bytes, abs, 8, 16);
    return `frame seq ${f.seq} @ring ${f.off}: seq -> hi ${hi} lo ${u32At(t.bytes, abs + 8)} (header crc fixed)`;
  }],
  [6, "frame-field", (rng, base, t) => {
    const f = pickFrame(rng, base);
    const off = base.ringOffset + f.off + rng.int(32);
    if (off < t.bytes.length) t.bytes[off] ^= 1 << rng.int(8);
    return `frame seq ${f.seq} @ring ${f.off}: header byte +${off - base.ringOffset - f.off} flipped`;
  }],
  [6, "torn-kind", (rng, base, t) => {
    const f = pickFrame(rng, base);
    const v = rng.pick([0, 0, KIND_FRM1 ^ 0x100, rng.u32()]);
    setU32(t.bytes, base.ringOffset + f.off, v);
    return `frame seq ${f.seq} @ring ${f.off}: kind -> ${v.toString(16)}`;
  }],
  [6, "torn-fresh", (rng, base, t) => {
    // A writer that died in the middle of a frame: a fresh header (crc-valid for a new seq) and part of its payload.
    let at = base.state.headOff;
    if (base.frames.length > 0 && rng.chance(0.7)) {
      const f = rng.pick(base.frames);
      at = f.off + 32 + 8 * rng.int(Math.floor(f.payloadLen / 8) + 1);
    }
    if (at + 40 > base.ringSize) at = 0;
    const abs = base.ringOffset + at;
    const len = rng.range(1, Math.max(1, base.ringSize - at - 32));
    const intended = rng.bytes(len);
    const committed = rng.chance(0.75);
    const seq = base.state.newestSeq + 1 + rng.int(2);
    setU32(t.bytes, abs, committed ? KIND_FRM1 : 0);
    setU32(t.bytes, abs + 4, len);
    setU64(t.bytes, abs + 8, seq);
    setU64(t.bytes, abs + 16, Number(base.state.newestTimeNs % 4294967296n) + 1);
    setU32(t.bytes, abs + 24, crc32(intended));
    const prefix = Math.min(rng.int(len), t.bytes.length - abs - 32);
    if (prefix > 0) t.bytes.set(intended.subarray(0, prefix), abs + 32);
    if (abs + 32 + len <= t.bytes.length && crc32(t.bytes, abs + 32, abs + 32 + len) === u32At(t.bytes, abs + 24)) setU32(t.bytes, abs + 24, u32At(t.bytes, abs + 24) ^ 1);
    fixHeaderCrc(t.bytes, abs);
    return `torn frame seq ${seq} (${committed ? "FRM1" : "kind 0"}, len ${len}, ${prefix} payload bytes) @ring ${at}`;
  }],
  [8, "wrap", (rng, base, t) => {
    const s = base.state;
    const at = rng.pick([
      ringOffsetAligned(rng, base),
      base.frames.length > 0 ? rng.pick(base.frames).off : 0,
      base.frames.length > 0 ? rng.pick(base.frames).off : 0,
      s.headOff,
      s.tailOff,
      base.ringSize - 8,
      0,
    ]);
    setU32(t.bytes, base.ringOffset + at, KIND_WRAP);
    return `WRAP planted @ring ${at}`;
  }],
  [6, "index", (rng, base, t) => {
    if (base.indexCapacity === 0) return mutators[0][2](rng, base, t);
    // spec §3: one slot per `stride`-th seq, the smallest power of two with max(1, cap - 1) * stride >= ring_size / 64
    let stride = 1;
    while (Math.max(1, base.indexCapacity - 1) * stride < Math.floor(base.ringSize / 64)) stride *= 2;
    const any = base.frames.length > 0 && rng.chance(0.8) ? rng.pick(base.frames).seq : rng.range(1, 1000);
    const seq = Math.max(stride, any - (any % stride));
    const abs = HEADER + (Math.floor(seq / stride) % base.indexCapacity) * 8;
    const what = rng.int(3);
    if (what !== 1) {
      const off = rng.pick([ringOffsetAligned(rng, base), base.frames.length ? rng.pick(base.frames).off : 0, rng.int(base.ringSize), base.ringSize, 0xfffffff8, rng.u32()]);
      setU32(t.bytes, abs + 4, off);
    }
    if (what !== 0) setU32(t.bytes, abs, rng.pick([seq + 1, seq - 1, seq + stride, seq - stride, seq + stride * base.indexCapacity, 0, rng.u32()]));
    return `index slot of seq ${seq} -> seq ${u32At(t.bytes, abs)} off ${u32At(t.bytes, abs + 4)}`;
  }],
  [8, "state", (rng, base, t) => {
    const slot = activeSlotBase(t.bytes);
    const s = readSlot(t.bytes, slot);
    const frames = base.frames;
    const choice = rng.int(12);
    let what: string;
    if (choice === 0 && frames.length > 0) {
      // A legitimate-looking drop: fewer messages retained, tail moved to the next frame.
      const k = rng.range(1, frames.length);
      setU64(t.bytes, slot + 24, s.oldest + k);
      setU64(t.bytes, slot + 16, k < frames.length ? frames[k].off : s.head);
      what = `drop ${k}`;
    } else if (choice === 1 && base.stale.length > 0) {
      const f = rng.pick(base.stale);
      setU64(t.bytes, slot + 24, f.seq);
      setU64(t.bytes, slot + 16, f.off);
      what = `expose older seq ${f.seq} @${f.off}`;
    } else if (choice === 2) {
      const v = Math.max(0, s.oldest + rng.pick([-3, -2, -1, 1, 2, 3]));
      setU64(t.bytes, slot + 24, v);
      what = `oldest -> ${v}`;
    } else if (choice === 3) {
      const v = Math.max(0, s.newest + rng.pick([-3, -2, -1, 1, 2, 3, 1000]));
      setU64(t.bytes, slot + 32, v);
      what = `newest -> ${v}`;
    } else if (choice === 4) {
      setU64(t.bytes, slot + 32, 2 ** 52);
      what = "newest -> 2^52";
    } else if (choice === 5) {
      const v = frames.length > 0 && rng.chance(0.5) ? rng.pick(frames).off : ringOffsetAligned(rng, base);
      setU64(t.bytes, slot + 16, v);
      what = `tail -> ${v}`;
    } else if (choice === 6) {
      const v = rng.chance(0.3) ? s.tail : ringOffsetAligned(rng, base);
      setU64(t.bytes, slot + 8, v);
      what = `head -> ${v}`;
    } else if (choice === 7) {
      setU64(t.bytes, slot + 24, s.newest + 1);
      setU64(t.bytes, slot + 8, s.tail);
      what = "claims empty";
    } else if (choice === 8) {
      setU32(t.bytes, slot + 40, rng.u32());
      setU32(t.bytes, slot + 44, rng.u32());
      what = "newest_time random";
    } else if (choice === 9) {
      const field = rng.pick([8, 16, 24, 32]);
      setU32(t.bytes, slot + field + 4, rng.pick([0x200000, 0xffffffff]));
      what = `u64 @slot+${field} hi word >= 2^21`;
    } else if (choice === 10) {
      setU64(t.bytes, slot + 24, 0);
      what = "oldest -> 0";
    } else {
      const v = rng.int(base.ringSize);
      setU64(t.bytes, slot + rng.pick([8, 16]), v);
      what = `offset -> ${v} (maybe unaligned)`;
    }
    fixSlotCrc(t.bytes, slot);
    return `state slot @${slot}: ${what} (crc fixed)`;
  }],
  [3, "gen", (rng, _b, t) => {
    const g = u32At(t.bytes, 128);
    const v = rng.pick([g - 1, g - 1, g + 1, g + 2, g ^ 0x80000000, rng.u32()]) >>> 0;
    setU32(t.bytes, 128, v);
    return `publish_gen ${g} -> ${v}`;
  }],
  [4, "geometry", (rng, base, t) => {
    const choice = rng.int(5);
    let what: string;
    if (choice === 4) {
      // Every field consistent, but the ring moved: frames now sit at other ring-relative offsets.
      const cap = rng.chance(0.3) ? 0 : rng.range(1, Math.floor(t.bytes.length / 16));
      const ringOffset = alignPage(HEADER + 8 * cap);
      setU32(t.bytes, 32, cap);
      setU64(t.bytes, 40, ringOffset);
      setU64(t.bytes, 48, Math.max(0, t.bytes.length - ringOffset));
      what = `index_capacity -> ${cap}, ring_offset -> ${ringOffset}`;
    } else if (choice === 0 && base.indexCapacity > 0) {
      const maxCap = (base.ringOffset - HEADER) / 8;
      const cap = rng.range(Math.floor((base.ringOffset - 2 * HEADER) / 8) + 1, maxCap);
      setU32(t.bytes, 32, cap);
      what = `index_capacity -> ${cap}`;
    } else if (choice === 1) {
      const ring = 8 * rng.range(512, Math.floor((base.ringSize + 8192) / 8));
      resize(t, base.ringOffset + ring, rng, rng.chance(0.5));
      setU64(t.bytes, 16, t.bytes.length);
      setU64(t.bytes, 48, ring);
      what = `resize ring to ${ring}`;
    } else if (choice === 2) {
      const [off, v] = rng.pick([[36, 1], [12, 4095], [24, 0], [40, base.ringOffset + 4096], [48, base.ringSize - 8], [16, 2 ** 40]] as Array<[number, number]>);
      if (off === 12 || off === 36) setU32(t.bytes, off, v);
      else setU64(t.bytes, off, v);
      what = `field @${off} -> ${v}`;
    } else {
      setU32(t.bytes, 56, rng.u32());
      what = "created_ns random";
    }
    fixGeometryCrc(t.bytes);
    return `geometry ${what} (crc fixed)`;
  }],
  [3, "copy-frame", (rng, base, t) => {
    const f = pickFrame(rng, base);
    const to = rng.chance(0.5) && base.frames.length > 0 ? rng.pick(base.frames).off : ringOffsetAligned(rng, base);
    const n = Math.min(f.frameLen, base.ringSize - to);
    const src = t.bytes.slice(base.ringOffset + f.off, base.ringOffset + f.off + n);
    const room = t.bytes.length - base.ringOffset - to;
    if (room > 0) t.bytes.set(src.subarray(0, Math.min(src.length, room)), base.ringOffset + to);
    return `copy frame seq ${f.seq} @ring ${f.off} to @ring ${to} (${n} bytes)`;
  }],
  [3, "zero", (rng, _b, t) => {
    const n = rng.pick([8, 64, 512, 4096]);
    const at = rng.chance(0.5) ? 4096 * rng.int(t.bytes.length / 4096) : rng.int(t.bytes.length);
    t.bytes.fill(0, at, at + n);
    return `zero ${n} bytes @${at}`;
  }],
];

const TOTAL_WEIGHT = mutators.reduce((a, m) => a + m[0], 0);

/** Applies 1-3 random mutations; returns their descriptions. */
export function mutate(rng: Rng, base: Base, t: Target): string[] {
  const count = rng.chance(0.5) ? 1 : rng.chance(0.6) ? 2 : 3;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    if (t.bytes.length === 0) break;
    let w = rng.int(TOTAL_WEIGHT);
    let m = mutators[0];
    for (const candidate of mutators) {
      if (w < candidate[0]) {
        m = candidate;
        break;
      }
      w -= candidate[0];
    }
    out.push(m[2](rng, base, t));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------- checks

export type FailureKind = "HARNESS" | "EXCEPTION" | "CRASH" | "HANG" | "WRONG-DATA" | "FALSE-CORRUPT" | "DOCTOR-MISSED" | "BAD-ERROR" | "ACCEPTED-DAMAGE" | "LEAK";

export interface Failure {
  seed: number;
  caseNo: number;
  base: string;
  mutations: string[];
  kind: FailureKind;
  check: string;
  detail: string;
  stack?: string;
}

export type Outcome = "corrupt" | "read" | "failed";

export interface CaseResult {
  outcome: Outcome;
  failures: Failure[];
  /** Doctor said corrupt although every read came back intact (damage only doctor looks at). */
  doctorOnly: boolean;
  drops: number;
  /** The file was undamaged where reads look (so every retained message had to come back). */
  undamaged: boolean;
  /** Messages returned and found byte-identical to what was written. */
  verified: number;
}

export interface FuzzContext {
  seed: number;
  bases: Base[];
  casePaths: string[];
  /** Log each check's outcome to stderr (single-case replay). */
  verbose?: boolean;
}

type Attempt<T> = { ok: true; value: T } | { ok: false; err: PlasmiteError | null };

/** One case's checks and their bookkeeping. */
class CaseRun {
  readonly failures: Failure[] = [];
  corruptSeen = false;
  readCorrupt = false;
  doctorOnly = false;
  drops = 0;
  verified = 0;
  /** Choices made while checking (start seqs, probe times), separate from the mutation stream. */
  readonly rng: Rng;
  constructor(
    readonly ctx: FuzzContext,
    readonly caseNo: number,
    readonly base: Base,
    readonly mutations: string[],
    readonly path: string,
    readonly fileLength: number,
    /** The file differs from its base in length or in a byte reads depend on. */
    readonly damaged: boolean,
  ) {
    this.rng = new Rng(ctx.seed ^ 0x5bd1e995, caseNo);
  }

  fail(kind: FailureKind, check: string, detail: string, stack?: string): void {
    this.failures.push({ seed: this.ctx.seed, caseNo: this.caseNo, base: this.base.name, mutations: this.mutations, kind, check, detail, stack });
  }

  /** Runs `fn` under a time budget; PlasmiteErrors of `allowed` kinds are answers, anything else a failure. */
  attempt<T>(check: string, allowed: ErrorKind[], fn: () => T): Attempt<T> {
    const t0 = performance.now();
    let result: Attempt<T>;
    try {
      result = { ok: true, value: fn() };
    } catch (err) {
      result = { ok: false, err: err instanceof PlasmiteError ? err : null };
      if (!(err instanceof PlasmiteError)) {
        const e = err as Error;
        this.fail("EXCEPTION", check, `${e?.name ?? typeof err}: ${e?.message ?? String(err)}`, e?.stack);
      } else if (!allowed.includes(err.kind)) {
        this.fail("BAD-ERROR", check, `unexpected kind ${err.kind}: ${err.message}`, err.stack);
      } else {
        this.checkErrorDetails(check, err);
        if (err.kind === "Corrupt" || err.kind === "Usage") this.corruptSeen = true;
      }
    }
    const ms = performance.now() - t0;
    if (ms > HANG_MS) this.fail("HANG", check, `took ${ms.toFixed(0)} ms`);
    if (this.ctx.verbose) {
      const what = result.ok ? "ok" : result.err ? `${result.err.kind} ${JSON.stringify(result.err.toJSON())}` : "non-PlasmiteError";
      console.error(`  ${check}: ${what} (${ms.toFixed(2)} ms)`);
    }
    return result;
  }

  private checkErrorDetails(check: string, err: PlasmiteError): void {
    if (err.kind !== "Corrupt" && err.kind !== "Usage") return;
    if (err.path !== this.path) this.fail("BAD-ERROR", check, `${err.kind} without the pool path (path=${err.path}): ${err.message}`, err.stack);
    const limit = Math.max(this.fileLength, this.base.bytes.length);
    if (err.offset === undefined || !Number.isInteger(err.offset) || err.offset < 0 || err.offset > limit) {
      this.fail("BAD-ERROR", check, `${err.kind} with offset ${err.offset}: ${err.message}`, err.stack);
    }
  }

  /** A message from the engine must be exactly what was written for its seq, within the published range. */
  verify(check: string, m: StoredMessage, s: PoolState): void {
    const w = this.base.written.get(m.seq);
    if (m.seq < s.oldestSeq || m.seq > s.newestSeq) {
      this.fail("WRONG-DATA", check, `returned seq ${m.seq} outside the published range ${s.oldestSeq}..${s.newestSeq}`);
    } else if (!w) {
      this.fail("WRONG-DATA", check, `returned seq ${m.seq}, which was never written (${m.payload.length} bytes)`);
    } else if (!sameBytes(m.payload, w.payload)) {
      this.fail("WRONG-DATA", check, `seq ${m.seq}: payload differs (${m.payload.length} bytes vs ${w.payload.length} written; first difference at ${firstDiff(m.payload, w.payload)})`);
    } else if (m.timeNs !== w.timeNs) {
      this.fail("WRONG-DATA", check, `seq ${m.seq}: timeNs ${m.timeNs} vs ${w.timeNs} written`);
    } else {
      this.verified++;
    }
  }
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function firstDiff(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

/** True when the mutated file differs from its base where a read depends on it (or in length). */
function isDamaged(base: Base, bytes: Uint8Array): boolean {
  if (bytes.length !== base.bytes.length) return true;
  const { care } = base;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== base.bytes[i] && care[i] === 1) return true;
  return false;
}

/** Makes the case file for `caseNo` (deterministic for the seed); returns base, mutations and bytes. */
export function makeCase(ctx: FuzzContext, caseNo: number): { base: Base; mutations: string[]; bytes: Uint8Array } {
  const rng = new Rng(ctx.seed, caseNo);
  const base = rng.pick(ctx.bases);
  const target = { bytes: base.bytes.slice() };
  const mutations = mutate(rng, base, target);
  return { base, mutations, bytes: target.bytes };
}

export function casePath(ctx: FuzzContext, caseNo: number): string {
  return ctx.casePaths[caseNo % ctx.casePaths.length];
}

/** Writes case `caseNo`'s file and runs every check on it. */
export function runCase(ctx: FuzzContext, caseNo: number): CaseResult {
  const path = casePath(ctx, caseNo);
  let made: ReturnType<typeof makeCase>;
  try {
    made = makeCase(ctx, caseNo);
    writeFileSync(path, made.bytes);
  } catch (err) {
    // A bug in the fuzzer itself, not in the engine.
    const e = err as Error;
    const failure: Failure = { seed: ctx.seed, caseNo, base: "?", mutations: [], kind: "HARNESS", check: "make case", detail: String(e?.message ?? err), stack: e?.stack };
    return { outcome: "failed", failures: [failure], doctorOnly: false, drops: 0, undamaged: false, verified: 0 };
  }
  const { base, mutations, bytes } = made;
  const run = new CaseRun(ctx, caseNo, base, mutations, path, bytes.length, isDamaged(base, bytes));
  if (ctx.verbose) console.error(`case ${caseNo} base ${base.name} (${bytes.length} bytes): ${mutations.join("; ")}`);
  const mappedBefore = openMappingCount();
  const read = checkPool(run, bytes);
  checkDoctor(run, read);
  if (openMappingCount() !== mappedBefore) run.fail("LEAK", "close", `${openMappingCount() - mappedBefore} mapping(s) left open`);
  const outcome: Outcome = run.failures.length > 0 ? "failed" : run.corruptSeen ? "corrupt" : "read";
  return { outcome, failures: run.failures, doctorOnly: run.doctorOnly, drops: run.drops, undamaged: !run.damaged, verified: run.verified };
}

/** What the read checks learned, for the doctor comparison. */
interface ReadSummary {
  opened: boolean;
  damaged: boolean;
  state: PoolState | null;
  /** Messages the oldest-first cursor returned before it ended or threw. */
  oldestRead: number;
  oldestCompleted: boolean;
}

function checkPool(run: CaseRun, bytes: Uint8Array): ReadSummary {
  const { base, path } = run;
  const damaged = run.damaged;
  const expect = expectedOpen(bytes);
  const summary: ReadSummary = { opened: false, damaged, state: null, oldestRead: 0, oldestCompleted: false };
  const opened = run.attempt("open", ["Corrupt", "Usage"], () => Pool.open(path));
  if (!opened.ok) {
    const kind = opened.err?.kind;
    if (!damaged) run.fail("FALSE-CORRUPT", "open", `an undamaged file was refused: ${opened.err?.message}`);
    else if (expect === "ok" && opened.err) run.fail("FALSE-CORRUPT", "open", `the header is valid by the spec but open said ${kind}: ${opened.err.message}`);
    else if (expect === "usage" && kind === "Corrupt") run.fail("BAD-ERROR", "open", `version changed: expected Usage, got Corrupt: ${opened.err?.message}`);
    else if (expect === "corrupt" && kind === "Usage") run.fail("BAD-ERROR", "open", `expected Corrupt, got Usage: ${opened.err?.message}`);
    return summary;
  }
  const pool = opened.value;
  summary.opened = true;
  if (expect === "corrupt" || expect === "usage") run.fail("ACCEPTED-DAMAGE", "open", `opened although the spec requires ${expect}`);
  try {
    readChecks(run, pool, summary);
  } finally {
    pool.close();
  }
  return summary;
}

function readChecks(run: CaseRun, pool: Pool, summary: ReadSummary): void {
  const { base, damaged, rng } = run;
  const st = run.attempt("state", ["Corrupt"], () => ({ ...pool.state() }));
  if (!st.ok) return;
  const s = st.value;
  summary.state = s;
  const retained = s.oldestSeq <= s.newestSeq ? s.newestSeq - s.oldestSeq + 1 : 0;
  if (!damaged && !sameState(s, base.state)) run.fail("WRONG-DATA", "state", `state ${JSON.stringify(stateJson(s))} differs from the base ${JSON.stringify(stateJson(base.state))}`);

  // Oldest-first cursor read to the end.
  const counts = { messages: 0, drops: 0 };
  const full = readCursor(run, pool, "cursor-oldest", { oldest: true }, s, counts);
  summary.oldestRead = counts.messages;
  summary.oldestCompleted = full;
  if (!damaged && full && (counts.messages !== base.frames.length || counts.drops > 0)) {
    run.fail("FALSE-CORRUPT", "cursor-oldest", `undamaged pool: read ${counts.messages}/${base.frames.length} messages, ${counts.drops} drops, completed=${full}`);
  }

  // get for every seq of the original range and the published one (sampled when huge), plus some outside.
  const seqs = new Set<number>([0, -1, 1.5, Number.NaN, 2 ** 53, Number.MAX_SAFE_INTEGER, s.oldestSeq, s.newestSeq, s.newestSeq + 1]);
  for (let q = base.state.oldestSeq - 2; q <= base.state.newestSeq + 2; q++) seqs.add(q);
  if (retained <= 2 * base.frames.length + 16) for (let q = s.oldestSeq; q <= s.newestSeq; q++) seqs.add(q);
  else for (let i = 0; i < 16; i++) seqs.add(s.oldestSeq + rng.int(retained));
  for (const q of seqs) {
    const inRange = Number.isSafeInteger(q) && q >= s.oldestSeq && q <= s.newestSeq;
    const got = run.attempt(`get(${q})`, ["Corrupt", "NotFound"], () => pool.get(q));
    if (got.ok) {
      if (got.value.seq !== q) run.fail("WRONG-DATA", `get(${q})`, `returned seq ${got.value.seq}`);
      run.verify(`get(${q})`, got.value, s);
    } else if (got.err?.kind === "NotFound" && inRange) {
      run.fail("BAD-ERROR", `get(${q})`, `NotFound for a seq inside the published range ${s.oldestSeq}..${s.newestSeq}`);
    } else if (got.err?.kind === "Corrupt") {
      run.readCorrupt = true;
      if (!damaged) run.fail("FALSE-CORRUPT", `get(${q})`, `undamaged pool: ${got.err.message}`);
    }
  }

  // Other starting points; each read to its end.
  const other: Array<[string, CursorStart]> = [
    ["cursor-last3", { last: 3 }],
    ["cursor-seq", { seq: base.state.oldestSeq - 1 + rng.int(base.frames.length + 3) }],
    ["cursor-time", { timeNs: timeProbe(rng, base) }],
  ];
  for (const [check, start] of other) readCursor(run, pool, `${check} ${JSON.stringify(start, (_k, v) => (typeof v === "bigint" ? `${v}n` : v))}`, start, s, { messages: 0, drops: 0 });

  // The live edge: nothing newer can appear in a static file; the wait must return and next() find nothing.
  const waitMs = run.caseNo % 20 === 0 ? 1 : 0.05;
  const live = run.attempt(`waitSync(${waitMs})`, ["Corrupt"], () => {
    const c = new Cursor(pool, { newest: true });
    c.waitSync(waitMs);
    return c.next();
  });
  if (live.ok && live.value?.message) run.verify("waitSync", live.value.message, s);
  if (!live.ok && live.err?.kind === "Corrupt") run.readCorrupt = true;

  const stats = run.attempt("stats", ["Corrupt"], () => pool.stats());
  if (!stats.ok && stats.err?.kind === "Corrupt") run.readCorrupt = true;
  if (!damaged && !stats.ok) run.fail("FALSE-CORRUPT", "stats", `undamaged pool: ${stats.err?.message}`);
}

/** Reads a cursor to its end; returns true when it ended without an error. Counts go to `counts`. */
function readCursor(run: CaseRun, pool: Pool, check: string, start: CursorStart, s: PoolState, counts: { messages: number; drops: number }): boolean {
  const r = run.attempt(check, ["Corrupt"], () => {
    const c = new Cursor(pool, start);
    let last = -Infinity;
    for (let items = 0; ; items++) {
      if (items > MAX_ITEMS) {
        run.fail("HANG", check, `cursor returned more than ${MAX_ITEMS} items from a static file`);
        return false;
      }
      const item = c.next();
      if (!item) return true;
      if (item.drop) {
        counts.drops++;
        run.drops++;
        const d = item.drop;
        if (d.count !== d.toSeq - d.fromSeq + 1 || d.count < 1) run.fail("WRONG-DATA", check, `inconsistent drop ${JSON.stringify(d)}`);
        continue;
      }
      const m = item.message;
      if (m.seq <= last) run.fail("WRONG-DATA", check, `seq ${m.seq} after ${last}: not strictly increasing`);
      last = m.seq;
      counts.messages++;
      run.verify(check, m, s);
    }
  });
  if (!r.ok && r.err?.kind === "Corrupt") {
    run.readCorrupt = true;
    if (!run.damaged) run.fail("FALSE-CORRUPT", check, `undamaged pool: ${r.err.message}`);
  }
  return r.ok && r.value;
}

/** A timestamp to start a cursor at: a retained message's, just around it, or far out. */
function timeProbe(rng: Rng, base: Base): bigint {
  const f = base.frames.length > 0 ? rng.pick(base.frames) : null;
  const t = f ? base.written.get(f.seq)!.timeNs : 0n;
  return rng.pick([t, t + 1n, t - 1n, 0n, 2n ** 63n]);
}

function checkDoctor(run: CaseRun, read: ReadSummary): void {
  const d = run.attempt("doctor", ["Io", "NotFound"], () => doctorPool(run.path));
  if (!d.ok) return;
  const rep: DoctorReport = d.value;
  if (run.ctx.verbose) console.error(`  doctor report: ${rep.status} ${JSON.stringify(rep.issues)}`);
  const s = read.state;
  const retained = s && s.oldestSeq <= s.newestSeq ? s.newestSeq - s.oldestSeq + 1 : 0;
  if (!read.damaged && rep.status !== "ok") {
    run.fail("FALSE-CORRUPT", "doctor", `undamaged pool reported corrupt: ${JSON.stringify(rep.issues)}`);
  } else if (rep.status === "ok" && run.readCorrupt) {
    run.fail("DOCTOR-MISSED", "doctor", "a read threw Corrupt but doctor says ok");
  } else if (rep.status === "ok" && !read.opened) {
    run.fail("DOCTOR-MISSED", "doctor", "open failed but doctor says ok");
  } else if (rep.status === "ok" && (!read.oldestCompleted || read.oldestRead !== retained)) {
    run.fail("DOCTOR-MISSED", "doctor", `doctor says ok but the oldest cursor read ${read.oldestRead}/${retained} (completed=${read.oldestCompleted})`);
  } else if (rep.status === "corrupt") {
    run.corruptSeen = true;
    if (read.opened && !run.readCorrupt) run.doctorOnly = true;
  }
}

function sameState(a: PoolState, b: PoolState): boolean {
  return a.gen === b.gen && a.headOff === b.headOff && a.tailOff === b.tailOff && a.oldestSeq === b.oldestSeq && a.newestSeq === b.newestSeq && a.newestTimeNs === b.newestTimeNs;
}

function stateJson(s: PoolState): Record<string, unknown> {
  return { ...s, newestTimeNs: String(s.newestTimeNs) };
}
