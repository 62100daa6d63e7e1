// The one time formatter against a reference computed with BigInt and Date, over random and edge timestamps.
import { expect, test } from "bun:test";
import { formatTime, formatTimeParts, splitTime } from "./time-text.ts";

function reference(ns: bigint): string {
  const secs = ns / 1_000_000_000n;
  const nanos = ns % 1_000_000_000n;
  const prefix = new Date(Number(secs) * 1000).toISOString().slice(0, 19);
  const frac = nanos.toString().padStart(9, "0").replace(/0+$/, "");
  return frac === "" ? `${prefix}Z` : `${prefix}.${frac}Z`;
}

test("splitTime and formatTimeParts are exact for any 64-bit nanosecond time up to year 9999", () => {
  const edges = [0n, 1n, 999_999_999n, 1_000_000_000n, 1_764_000_000_123_456_789n, 253_402_300_799_999_999_999n, (1n << 32n) - 1n, 1n << 32n, (1n << 53n) + 7n];
  const random = Array.from({ length: 20_000 }, () => BigInt(Math.floor(Math.random() * 2 ** 31)) * 117_999_983n + BigInt(Math.floor(Math.random() * 1e9)));
  const out = { secs: 0, nanos: 0 };
  for (const ns of [...edges, ...random].filter((n) => n <= 253_402_300_799_999_999_999n)) {
    const hi = Number(ns >> 32n);
    const lo = Number(ns & 0xffffffffn);
    splitTime(hi, lo, out);
    expect(BigInt(out.secs) * 1_000_000_000n + BigInt(out.nanos)).toBe(ns);
    expect(formatTimeParts(hi, lo)).toBe(reference(ns));
    expect(formatTime(ns)).toBe(reference(ns));
  }
});
