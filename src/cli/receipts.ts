// The receipt lines a stream ingest prints when stdout is piped: `{"seq":N,"time":"…","meta":{"tags":[…]}}`,
// one per appended record. They are written as bytes, digit by digit: building each line as a string (number
// and time formatting, concatenation, then encoding) cost ~0.14 µs a record, as much as parsing the record.
import { LineWriter } from "./line-writer.ts";

const FLUSH_BYTES = 256 * 1024;
const asciiBytes = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const HEAD = asciiBytes('{"seq":');
const TIME = asciiBytes(',"time":"');

/** Where the lines go: stdout (LineWriter) or, in tests, a collector. */
export interface ChunkSink {
  writeChunk(chunk: Uint8Array): Promise<void>;
  flush(): Promise<void>;
}

export class ReceiptLines {
  private buf = new Uint8Array(FLUSH_BYTES + 4096);
  private pos = 0;
  /** `Z","meta":{"tags":…}}` and a newline, for these tags. */
  private readonly tail: Uint8Array;
  private second = -1;
  private readonly seqDigits = new Uint8Array(16).fill(0x30);
  private seqLen = 1;
  private lastSeq = -2;
  private readonly nanoDigits = new Uint8Array(9).fill(0x30);
  private lastHi = -1;
  private lastLo = -2;
  private lastNanos = 0;
  /** "YYYY-MM-DDTHH:MM:SS" of `second`. */
  private readonly secondText = new Uint8Array(19);

  constructor(
    tags: readonly string[],
    private readonly out: ChunkSink = new LineWriter(),
  ) {
    this.tail = new TextEncoder().encode(`Z","meta":{"tags":${JSON.stringify(tags)}}}\n`);
  }

  /** Receipts for firstSeq, firstSeq + 1, … with times as high/low 32-bit pairs (see formatTimeParts). */
  pushRun(firstSeq: number, times: readonly number[]): void {
    const count = times.length >>> 1;
    const tail = this.tail;
    const maxLine = HEAD.length + 16 + TIME.length + 19 + 10 + tail.length;
    const seqDigits = this.seqDigits;
    const nanoDigits = this.nanoDigits;
    for (let i = 0; i < count; i++) {
      if (this.pos + maxLine > this.buf.length) this.spill();
      // Seqs and times of a run are consecutive: their digits are counted up like an odometer, and only
      // computed afresh when a value is not the previous one plus one.
      const seq = firstSeq + i;
      if (seq === this.lastSeq + 1) this.seqLen = increment(seqDigits, 16 - this.seqLen, this.seqLen);
      else this.seqLen = setDigits(seqDigits, 16, seq);
      this.lastSeq = seq;
      // seconds and nanoseconds of hi·2^32 + lo in exact double arithmetic, as formatTimeParts does
      const hi = times[2 * i];
      const lo = times[2 * i + 1];
      if (hi === this.lastHi && lo === this.lastLo + 1 && this.lastNanos !== 999_999_999) {
        this.lastNanos++;
        increment(nanoDigits, 0, 9);
      } else {
        const h1 = Math.floor(hi / 65536);
        const rest = h1 * 976710656 + (hi % 65536) * 294967296 + lo;
        const secs = hi * 4 + h1 * 19330 + Math.floor(rest / 1e9);
        if (secs !== this.second) this.setSecond(secs);
        this.lastNanos = rest % 1e9;
        setDigits(nanoDigits, 9, this.lastNanos);
      }
      this.lastHi = hi;
      this.lastLo = lo;

      // a separate function: inlined here, the loop ran 3x slower (JSC compiled it worse as one body)
      this.pos = writeLine(this.buf, this.pos, seqDigits, 16 - this.seqLen, this.secondText, nanoDigits, tail);
    }
    if (this.pos >= FLUSH_BYTES) this.spill();
  }

  /** One receipt with its time already formatted (a remote pool's answer). */
  push(seq: number, time: string): void {
    const text = new TextEncoder().encode(`{"seq":${seq},"time":"${time.slice(0, -1)}`);
    if (this.pos + text.length + this.tail.length > this.buf.length) this.spill();
    this.buf.set(text, this.pos);
    this.buf.set(this.tail, this.pos + text.length);
    this.pos += text.length + this.tail.length;
  }

  /** Writes what is buffered; resolves once written (or once the reader went away). */
  flush(): Promise<void> {
    this.spill();
    return this.out.flush();
  }

  private spill(): void {
    if (this.pos === 0) return;
    void this.out.writeChunk(this.buf.slice(0, this.pos));
    this.pos = 0;
  }

  private setSecond(secs: number): void {
    this.second = secs;
    const text = new Date(secs * 1000).toISOString(); // "YYYY-MM-DDTHH:MM:SS.000Z"
    for (let k = 0; k < 19; k++) this.secondText[k] = text.charCodeAt(k);
  }
}

/**
 * Writes the decimal digits of a non-negative safe integer right-aligned to digits[end - 1]; returns how many it
 * wrote. With `end` 9 (nanoseconds) always nine, zero-padded; otherwise no leading zeros.
 */
function setDigits(digits: Uint8Array, end: number, n: number): number {
  let len = 0;
  for (let k = end - 1; k >= 0; k--) {
    const q = Math.floor(n / 10);
    digits[k] = 0x30 + (n - q * 10);
    n = q;
    len++;
    if (n === 0 && end !== 9) break;
  }
  return len;
}

/** Adds one to the decimal digits digits[start, start + len); returns the new length (a carry adds a digit in front). */
function increment(digits: Uint8Array, start: number, len: number): number {
  for (let k = start + len - 1; k >= start; k--) {
    if (digits[k] !== 0x39) {
      digits[k]++;
      return len;
    }
    digits[k] = 0x30;
  }
  digits[start - 1] = 0x31;
  return len + 1;
}

/** One receipt line from its parts' digits; returns the position after it. */
function writeLine(buf: Uint8Array, pos: number, seqDigits: Uint8Array, seqStart: number, second: Uint8Array, nanoDigits: Uint8Array, tail: Uint8Array): number {
  for (let k = 0; k < HEAD.length; k++) buf[pos++] = HEAD[k];
  for (let k = seqStart; k < 16; k++) buf[pos++] = seqDigits[k];
  for (let k = 0; k < TIME.length; k++) buf[pos++] = TIME[k];
  for (let k = 0; k < 19; k++) buf[pos++] = second[k];
  let end = 9; // nine digits with trailing zeros dropped ("…:05Z" when all are zero)
  while (end > 0 && nanoDigits[end - 1] === 0x30) end--;
  if (end > 0) {
    buf[pos++] = 0x2e; // "."
    for (let k = 0; k < end; k++) buf[pos++] = nanoDigits[k];
  }
  for (let k = 0; k < tail.length; k++) buf[pos++] = tail[k];
  return pos;
}
