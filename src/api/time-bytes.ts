// Timestamps and seqs written as ASCII digits straight into a byte buffer: JSON Lines output (peek, tail
// streams) writes one of each per message, and building them as strings first (then copying the characters)
// cost more than everything else in the line. Pure; the text is exactly formatTimeParts'.

/**
 * Writes the RFC 3339 UTC time of hi·2^32 + lo nanoseconds (nanoseconds with trailing zeros dropped, "Z")
 * at `pos`; returns the position after it. Needs 30 bytes of room.
 */
export function writeTime(buf: Uint8Array, pos: number, hi: number, lo: number): number {
  // seconds and nanoseconds in exact double arithmetic, as formatTimeParts does
  const h1 = Math.floor(hi / 65536);
  const rest = h1 * 976710656 + (hi % 65536) * 294967296 + lo;
  const secs = hi * 4 + h1 * 19330 + Math.floor(rest / 1e9);
  let nanos = rest % 1e9;
  if (secs !== cachedSecond) cacheSecond(secs);
  const second = secondBytes;
  for (let k = 0; k < 19; k++) buf[pos + k] = second[k];
  pos += 19;
  if (nanos !== 0) {
    let digits = 9;
    while (nanos % 10 === 0) {
      nanos /= 10;
      digits--;
    }
    buf[pos] = 0x2e; // "."
    for (let k = digits; k > 0; k--) {
      const q = (nanos / 10) | 0; // nanos < 10^9 fits in 32 bits
      buf[pos + k] = 0x30 + (nanos - q * 10);
      nanos = q;
    }
    pos += digits + 1;
  }
  buf[pos] = 0x5a; // "Z"
  return pos + 1;
}

/** Writes the decimal digits of a non-negative safe integer at `pos`; returns the position after them. */
export function writeDecimal(buf: Uint8Array, pos: number, n: number): number {
  let digits = 1;
  for (let p = 10; p <= n; p *= 10) digits++;
  for (let k = pos + digits - 1; k >= pos; k--) {
    const q = n < 2147483648 ? (n / 10) | 0 : Math.floor(n / 10);
    buf[k] = 0x30 + (n - q * 10);
    n = q;
  }
  return pos + digits;
}

let cachedSecond = -1;
const secondBytes = new Uint8Array(19);

function cacheSecond(secs: number): void {
  cachedSecond = secs;
  const text = new Date(secs * 1000).toISOString(); // "YYYY-MM-DDTHH:MM:SS.000Z"
  for (let k = 0; k < 19; k++) secondBytes[k] = text.charCodeAt(k);
}
