// Frame layout (spec/format/v1.md §4): write a committed frame or a wrap marker; decode and validate one.
// Pure: works on a RingView; offsets are ring-relative.
import { crc32, crc32Words, crc32WordsCopy } from "./crc32.ts";
import { FRAME_HEADER_BYTES, MAX_PAYLOAD_BYTES, frameLength } from "./limits.ts";
import type { RingView } from "./ring.ts";

/** ASCII "FRM1" little-endian: the commit marker of a message frame. */
export const KIND_FRAME = 0x314d5246;
/** ASCII "WRAP": the next frame is at ring offset 0. */
export const KIND_WRAP = 0x50415257;

/** Result of looking at a ring offset. */
export const enum FrameStatus {
  Ok = 0,
  /** A wrap marker (or the ring's end): continue at offset 0. */
  Wrap = 1,
  /** No committed frame here (never written, being written, or garbage). */
  NotFrame = 2,
  /** Kind says frame but the header fails its checks (torn length, crc, bounds). */
  BadHeader = 3,
}

/** Decoded frame header; reused across calls to avoid allocation on hot paths. */
export interface FrameInfo {
  seq: number;
  payloadLen: number;
  /** Absolute byte offset of the payload in the file. */
  payloadAbs: number;
  frameLen: number;
  timeHi: number;
  timeLo: number;
  payloadCrc: number;
}

export function newFrameInfo(): FrameInfo {
  return { seq: 0, payloadLen: 0, payloadAbs: 0, frameLen: 0, timeHi: 0, timeLo: 0, payloadCrc: 0 };
}

export function maxPayloadBytes(ringSize: number): number {
  return Math.min(MAX_PAYLOAD_BYTES, ringSize - FRAME_HEADER_BYTES);
}

/** Decodes the frame header at ring offset `off` into `out`. Does not check the payload crc. */
export function readFrameHeader(ring: RingView, off: number, out: FrameInfo): FrameStatus {
  const { u32, ringOffset, ringSize } = ring;
  if (off >= ringSize) return FrameStatus.Wrap;
  const abs = ringOffset + off;
  const w = abs >>> 2;
  const kind = u32[w];
  if (kind === KIND_WRAP) return FrameStatus.Wrap;
  if (kind !== KIND_FRAME) return FrameStatus.NotFrame;
  if (ringSize - off < FRAME_HEADER_BYTES) return FrameStatus.BadHeader;
  const payloadLen = u32[w + 1];
  if (u32[w + 7] !== crc32Words(u32, w + 1, 6)) return FrameStatus.BadHeader;
  const frameLen = frameLength(payloadLen);
  if (payloadLen > maxPayloadBytes(ringSize) || frameLen > ringSize - off) return FrameStatus.BadHeader;
  const seqHi = u32[w + 3];
  const seq = seqHi * 4294967296 + u32[w + 2];
  if (seq < 1 || seqHi > 0x1fffff) return FrameStatus.BadHeader;
  out.seq = seq;
  out.payloadLen = payloadLen;
  out.payloadAbs = abs + FRAME_HEADER_BYTES;
  out.frameLen = frameLen;
  out.timeLo = u32[w + 4];
  out.timeHi = u32[w + 5];
  out.payloadCrc = u32[w + 6];
  return FrameStatus.Ok;
}

/** True when the payload bytes still match the crc recorded in the header. */
export function payloadIntact(ring: RingView, info: FrameInfo): boolean {
  const { payloadAbs, payloadLen } = info;
  if (payloadLen >= NATIVE_COPY_FROM_BYTES) return crc32(ring.bytes, payloadAbs, payloadAbs + payloadLen) === info.payloadCrc;
  return crc32WordsCopy(ring.u32, payloadAbs >>> 2, payloadLen) === info.payloadCrc; // payloads start 8-aligned
}

/**
 * A private copy of the payload, or null when the bytes no longer match the crc recorded in the header (the
 * caller decides: dropped meanwhile, or damage). See copyPayloadInto.
 */
export function copyPayloadChecked(ring: RingView, info: FrameInfo): Uint8Array | null {
  const copy = new Uint8Array(info.payloadLen);
  return copyPayloadInto(ring, info, copy, 0) ? copy : null;
}

/**
 * Copies the payload into into[at, at + payloadLen) and checks the copy against the crc recorded in the header;
 * false when they differ. Small payloads are copied and checked in one pass over words (see crc32WordsCopy);
 * large ones by the runtime's copy, then its native crc over the copy.
 */
export function copyPayloadInto(ring: RingView, info: FrameInfo, into: Uint8Array, at: number): boolean {
  const { payloadAbs, payloadLen } = info;
  if (payloadLen >= NATIVE_COPY_FROM_BYTES) {
    into.set(ring.bytes.subarray(payloadAbs, payloadAbs + payloadLen), at);
    return crc32(into, at, at + payloadLen) === info.payloadCrc;
  }
  return crc32WordsCopy(ring.u32, payloadAbs >>> 2, payloadLen, into, at) === info.payloadCrc; // payloads start 8-aligned
}

/** From this payload size on, the runtime's native copy and crc beat one JS pass over words. */
const NATIVE_COPY_FROM_BYTES = 256;

export function frameTimeNs(info: FrameInfo): bigint {
  return (BigInt(info.timeHi) << 32n) | BigInt(info.timeLo);
}

/**
 * Writes a complete frame at ring offset `off`: kind 0 first, then header and payload, then the commit marker.
 * The caller has ensured [off, off + frameLength) is free space.
 */
export function writeFrame(ring: RingView, off: number, seq: number, timeNs: bigint, payload: Uint8Array, payloadCrc = crc32(payload)): number {
  return writeFrameParts(ring, off, seq, Number(timeNs >> 32n), Number(timeNs & 0xffffffffn), payload, payloadCrc);
}

/** writeFrame with the timestamp as its high and low 32 bits (no BigInt work on the append hot path). */
export function writeFrameParts(ring: RingView, off: number, seq: number, timeHi: number, timeLo: number, payload: Uint8Array, payloadCrc: number): number {
  beginFrame(ring, off);
  ring.bytes.set(payload, ring.ringOffset + off + FRAME_HEADER_BYTES);
  return commitFrame(ring, off, seq, timeHi, timeLo, payload.length, payloadCrc);
}

/**
 * First step of writing a frame at ring offset `off` whose payload the caller writes itself (at
 * payloadStart(ring, off)): clears the commit marker so no reader takes the bytes in between for a frame.
 */
export function beginFrame(ring: RingView, off: number): void {
  ring.u32[(ring.ringOffset + off) >>> 2] = 0;
}

/** Absolute byte offset of the payload of a frame at ring offset `off`. */
export function payloadStart(ring: RingView, off: number): number {
  return ring.ringOffset + off + FRAME_HEADER_BYTES;
}

/** Last step: writes the header after the payload is in place, then the commit marker. Returns the frame length. */
export function commitFrame(ring: RingView, off: number, seq: number, timeHi: number, timeLo: number, payloadLen: number, payloadCrc: number): number {
  const u32 = ring.u32;
  const w = (ring.ringOffset + off) >>> 2;
  u32[w + 1] = payloadLen;
  u32[w + 2] = seq >>> 0;
  u32[w + 3] = Math.floor(seq / 4294967296);
  u32[w + 4] = timeLo;
  u32[w + 5] = timeHi;
  u32[w + 6] = payloadCrc;
  u32[w + 7] = crc32Words(u32, w + 1, 6);
  Atomics.store(ring.words, w, KIND_FRAME | 0);
  return frameLength(payloadLen);
}

export function writeWrapMarker(ring: RingView, off: number): void {
  Atomics.store(ring.words, (ring.ringOffset + off) >>> 2, KIND_WRAP | 0);
}

/** True when the word at ring offset `off` is a wrap marker. */
export function isWrapAt(ring: RingView, off: number): boolean {
  return off < ring.ringSize && ring.u32[(ring.ringOffset + off) >>> 2] === KIND_WRAP;
}
