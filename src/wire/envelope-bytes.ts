// A growable byte buffer of JSON lines: message envelopes spliced from the stored payload bytes without decoding
// them (`pls peek`, the server's tail streams, the follow engine's jq input).
import { HEAD_BYTES, writeHead } from "./time-bytes.ts";

/** Spare buffers kept for takeBuffer: a writer has at most a couple of chunks in flight. */
const MAX_SPARES = 4;

export class EnvelopeLines {
  private buf: Uint8Array;
  private pos = 0;
  private readonly encoder = new TextEncoder();
  /** Buffers given back by recycle, for takeBuffer. */
  private readonly spares: Uint8Array[] = [];
  /** Buffers given back by recycle, for takeBuffer. */
  constructor(initialBytes = 64 * 1024) {
    this.buf = new Uint8Array(initialBytes);
  }

  get length(): number {
    return this.pos;
  }

  pushText(text: string): void {
    this.reserve(text.length * 3); // UTF-8 takes at most 3 bytes per UTF-16 unit
    this.pos += this.encoder.encodeInto(text, this.buf.subarray(this.pos)).written;
  }

  pushBytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /**
   * One envelope: `{"seq":N,"time":"…"` written as digits, then the stored payload (`{"meta":…,"data":…}`)
   * whose "{" becomes ",", then `suffix` (ASCII, e.g. "\n").
   */
  pushEnvelope(m: { seq: number; timeHi: number; timeLo: number; payload: Uint8Array }, suffix: string): void {
    const payload = m.payload;
    this.reserve(HEAD_BYTES + payload.length + suffix.length);
    const buf = this.buf;
    let pos = writeHead(buf, this.pos, m.seq, m.timeHi, m.timeLo);
    buf.set(payload, pos);
    buf[pos] = 0x2c; // ","
    pos += payload.length;
    for (let i = 0; i < suffix.length; i++) buf[pos++] = suffix.charCodeAt(i);
    this.pos = pos;
  }

  /** The bytes so far (a copy), and an empty buffer for the next chunk. */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.pos);
    this.pos = 0;
    return out;
  }

  /**
   * The bytes so far without a copy: the buffer itself is handed over and a spare one (given back by `recycle`)
   * takes its place. For a writer that streams millions of lines: a fresh copy per chunk made the runtime
   * collect garbage often enough to cost more than building the lines.
   */
  takeBuffer(): Uint8Array {
    const out = this.buf.subarray(0, this.pos);
    this.buf = this.spares.pop() ?? new Uint8Array(this.buf.length);
    this.pos = 0;
    return out;
  }

  /** Gives back a chunk from takeBuffer once it is written; its buffer is reused (a few are kept). */
  recycle(chunk: Uint8Array): void {
    if (this.spares.length < MAX_SPARES && chunk.buffer.byteLength >= this.buf.length) this.spares.push(new Uint8Array(chunk.buffer));
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    bigger.set(this.buf.subarray(0, this.pos));
    this.buf = bigger;
  }
}
