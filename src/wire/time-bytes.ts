// Timestamps and seqs written as ASCII digits straight into a byte buffer: JSON Lines output (peek, tail
// streams, stream receipts) writes one of each per message, and building them as strings first (then copying
// the characters) cost more than everything else in the line. The text is exactly formatTimeParts' (both split
// the time with splitTime in src/format/time-text.ts, the one time formatter).
// Lines come in runs of consecutive seqs with consecutive nanoseconds (one append batch): their digits are
// counted up like an odometer, and computed afresh only when a value is not the last one plus one (0.045 µs
// a receipt line against 0.13 µs computing every digit).

import { secondText, splitTime, type TimeSplit } from "./time-text.ts";

/** ASCII text as bytes (a loop: Uint8Array.from is a JS builtin that costs start-up on first use). */
export function asciiBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

const SEQ_KEY = asciiBytes('{"seq":');
const TIME_KEY = asciiBytes(',"time":"');
/** Room writeHead needs: `{"seq":N,"time":"…"` with 16 seq digits and a 30-byte time. */
export const HEAD_BYTES = SEQ_KEY.length + 16 + TIME_KEY.length + 30 + 1;

/** Writes `{"seq":N,"time":"…"` (the start of an envelope or a receipt) at `pos`; returns the end. */
export function writeHead(buf: Uint8Array, pos: number, seq: number, timeHi: number, timeLo: number): number {
  for (let i = 0; i < SEQ_KEY.length; i++) buf[pos++] = SEQ_KEY[i];
  seqStart = seq === lastSeq + 1 ? countUp(seqDigits, seqStart) : setDigits(seqDigits, seq);
  lastSeq = seq;
  pos = copyDigits(buf, pos, seqDigits, seqStart, seqDigits.length);
  for (let i = 0; i < TIME_KEY.length; i++) buf[pos++] = TIME_KEY[i];
  pos = writeTime(buf, pos, timeHi, timeLo);
  buf[pos] = 0x22; // the time's closing quote
  return pos + 1;
}

/**
 * Writes the RFC 3339 UTC time of hi·2^32 + lo nanoseconds (nanoseconds with trailing zeros dropped, "Z")
 * at `pos`; returns the position after it. Needs 30 bytes of room.
 */
export function writeTime(buf: Uint8Array, pos: number, hi: number, lo: number): number {
  if (hi === lastHi && lo === lastLo + 1 && lastNanos !== 999_999_999) {
    lastNanos++;
    countUp(nanoDigits, 0);
  } else {
    splitTime(hi, lo, split);
    if (split.secs !== cachedSecond) cacheSecond(split.secs);
    lastNanos = split.nanos;
    let n = lastNanos;
    for (let k = 8; k >= 0; k--) {
      const d = (n / 10) | 0; // below 10^9: fits in 32 bits
      nanoDigits[k] = 0x30 + (n - d * 10);
      n = d;
    }
  }
  lastHi = hi;
  lastLo = lo;
  for (let k = 0; k < 19; k++) buf[pos + k] = secondBytes[k];
  pos += 19;
  let end = 9; // nine digits with trailing zeros dropped ("…:05Z" when all are zero)
  while (end > 0 && nanoDigits[end - 1] === 0x30) end--;
  if (end > 0) {
    buf[pos++] = 0x2e; // "."
    pos = copyDigits(buf, pos, nanoDigits, 0, end);
  }
  buf[pos] = 0x5a; // "Z"
  return pos + 1;
}

/** Writes the decimal digits of a non-negative safe integer at `pos`; returns the position after them. */
export function writeDecimal(buf: Uint8Array, pos: number, n: number): number {
  const start = setDigits(scratchDigits, n);
  return copyDigits(buf, pos, scratchDigits, start, scratchDigits.length);
}

/** The digits of a non-negative safe integer, right-aligned in `digits`; returns where they start. */
function setDigits(digits: Uint8Array, n: number): number {
  let k = digits.length;
  do {
    const q = n < 2147483648 ? (n / 10) | 0 : Math.floor(n / 10);
    digits[--k] = 0x30 + (n - q * 10);
    n = q;
  } while (n > 0);
  return k;
}

/** Adds one to the right-aligned digits digits[start, end); returns where they now start (a carry adds one in front). */
function countUp(digits: Uint8Array, start: number): number {
  for (let k = digits.length - 1; k >= start; k--) {
    if (digits[k] !== 0x39) {
      digits[k]++;
      return start;
    }
    digits[k] = 0x30;
  }
  digits[start - 1] = 0x31;
  return start - 1;
}

function copyDigits(buf: Uint8Array, pos: number, digits: Uint8Array, start: number, end: number): number {
  for (let k = start; k < end; k++) buf[pos++] = digits[k];
  return pos;
}

let lastSeq = -2;
/** The last seq's digits, right-aligned: seqDigits[seqStart, 16). */
const seqDigits = new Uint8Array(16);
let seqStart = 16;
const scratchDigits = new Uint8Array(16);

let lastHi = -1;
let lastLo = -2;
let lastNanos = 0;
const split: TimeSplit = { secs: 0, nanos: 0 };
/** The last time's nine nanosecond digits. */
const nanoDigits = new Uint8Array(9);

let cachedSecond = -1;
/** "YYYY-MM-DDTHH:MM:SS" of cachedSecond. */
const secondBytes = new Uint8Array(19);

function cacheSecond(secs: number): void {
  cachedSecond = secs;
  const text = secondText(secs);
  for (let k = 0; k < 19; k++) secondBytes[k] = text.charCodeAt(k);
}
