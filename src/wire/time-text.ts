// Message time as text: RFC 3339 UTC with nanoseconds, trailing zeros trimmed (2026-11-27T16:31:43.123456789Z).
// The one formatter of time text; api/time-bytes.ts writes the same text as bytes through splitTime.
// Invariants: a timestamp is nanoseconds since the Unix epoch, given as a bigint or as its high and low 32 bits;
// the arithmetic is exact in doubles (no BigInt per message). State: the last second's text (messages come in
// bursts within one second, and toISOString is the slow part).

/** Seconds and nanoseconds of a timestamp, written into `out` (callers keep one scratch object). */
export interface TimeSplit {
  secs: number;
  nanos: number;
}

/**
 * Splits hi·2^32 + lo nanoseconds into seconds and nanoseconds exactly: with hi = h1·2^16 + h0,
 * hi·2^32 = hi·4·10^9 + h1·(19330·10^9 + 976710656) + h0·294967296, and every term stays below 2^53.
 */
export function splitTime(hi: number, lo: number, out: TimeSplit): void {
  const h1 = Math.floor(hi / 65536);
  const rest = h1 * 976710656 + (hi % 65536) * 294967296 + lo;
  const q = Math.floor(rest / 1e9);
  out.secs = hi * 4 + h1 * 19330 + q;
  out.nanos = rest - q * 1e9;
}

/** "YYYY-MM-DDTHH:MM:SS" of a second since the epoch. */
export function secondText(secs: number): string {
  return new Date(secs * 1000).toISOString().slice(0, 19);
}

/** The time text of a timestamp given as nanoseconds. */
export function formatTime(ns: bigint): string {
  return formatTimeParts(Number(ns >> 32n), Number(ns & 0xffffffffn));
}

/** The time text of a timestamp given as its high and low 32 bits (how frames store it). */
export function formatTimeParts(hi: number, lo: number): string {
  splitTime(hi, lo, split);
  if (split.secs !== cachedSecond) {
    cachedSecond = split.secs;
    cachedPrefix = secondText(split.secs);
  }
  if (split.nanos === 0) return `${cachedPrefix}Z`;
  return `${cachedPrefix}.${String(split.nanos).padStart(9, "0").replace(/0+$/, "")}Z`;
}

const split: TimeSplit = { secs: 0, nanos: 0 };
let cachedSecond = -1;
let cachedPrefix = "";
