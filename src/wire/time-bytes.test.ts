// Digits written as bytes must be exactly the strings formatTimeParts and String give.
import { describe, expect, test } from "bun:test";
import { formatTimeParts } from "./time-text.ts";
import { writeDecimal, writeTime } from "./time-bytes.ts";

const text = (buf: Uint8Array, end: number) => new TextDecoder().decode(buf.subarray(0, end));

describe("time and seq bytes", () => {
  test("writeTime equals formatTimeParts on edge and random timestamps", () => {
    const buf = new Uint8Array(64);
    const cases: bigint[] = [0n, 1n, 999_999_999n, 1_000_000_000n, 1_764_000_000_000_000_000n, 1_764_000_000_120_000_000n, (1n << 32n) - 1n, 1n << 32n, (1n << 63n) - 1n];
    let state = 3;
    for (let i = 0; i < 5000; i++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      const ns = 1_600_000_000_000_000_000n + BigInt(state) * 977_777_777n + BigInt(i % 10 === 0 ? 0 : state % 1000);
      cases.push(i % 3 === 0 ? ns - (ns % 1000n) : ns);
    }
    for (const ns of cases) {
      const [hi, lo] = [Number(ns >> 32n), Number(ns & 0xffffffffn)];
      expect(text(buf, writeTime(buf, 0, hi, lo))).toBe(formatTimeParts(hi, lo));
    }
  });

  test("writeDecimal equals String for every digit count", () => {
    const buf = new Uint8Array(32);
    for (const n of [0, 1, 9, 10, 99, 100, 123456789, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 7, 2 ** 53 - 1]) {
      expect(text(buf, writeDecimal(buf, 0, n))).toBe(String(n));
    }
  });
});
