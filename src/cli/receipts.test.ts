// Receipt lines written digit by digit must be exactly the lines formatTime gives, whatever the runs look like.
import { describe, expect, test } from "bun:test";
import { formatTimeParts } from "../wire/index.ts";
import { ReceiptLines } from "./receipts.ts";

function collect(tags: string[]) {
  const chunks: Uint8Array[] = [];
  const sink = { writeChunk: async (c: Uint8Array) => void chunks.push(c), flush: async () => {} };
  const lines = new ReceiptLines(tags, sink);
  const text = async () => {
    await lines.flush();
    return chunks.map((c) => new TextDecoder().decode(c)).join("");
  };
  return { lines, text };
}

const split = (ns: bigint): [number, number] => [Number(ns >> 32n), Number(ns & 0xffffffffn)];
const expected = (seq: number, ns: bigint, tags: string[]) => `{"seq":${seq},"time":"${formatTimeParts(...split(ns))}","meta":{"tags":${JSON.stringify(tags)}}}\n`;

describe("ReceiptLines", () => {
  test("runs across digit carries, trailing-zero nanoseconds, second and 2^32 boundaries match formatTime", async () => {
    const tags = ["a", "é"];
    const { lines, text } = collect(tags);
    let want = "";
    // [first seq, first time in ns, count]
    const runs: Array<[number, bigint, number]> = [
      [1, 1_764_000_000_000_000_000n, 12], // seq 9 -> 10 -> 12, nanos .0 -> .11
      [95, 1_764_000_000_999_999_990n, 15], // 99 -> 100 and a new second within the run
      [999_998, 1_764_000_001_000_000_095n, 8], // 999999 -> 1000000, nanos ending in 00 and 000
      [5, (1n << 32n) * 410_000_000n - 3n, 6], // the low 32 bits wrap inside the run
      [7, 1_764_000_005_123_456_789n, 1], // a run that does not follow the previous one
      [8, 1_764_000_005_123_456_790n, 3], // one that does
    ];
    for (const [first, start, count] of runs) {
      const times: number[] = [];
      for (let k = 0; k < count; k++) {
        times.push(...split(start + BigInt(k)));
        want += expected(first + k, start + BigInt(k), tags);
      }
      lines.pushRun(first, times);
    }
    lines.push(42, "2026-11-27T20:13:07.5Z");
    want += `{"seq":42,"time":"2026-11-27T20:13:07.5Z","meta":{"tags":["a","é"]}}\n`;
    expect(await text()).toBe(want);
  });

  test("random runs, and more lines than one buffer holds", async () => {
    const { lines, text } = collect([]);
    let want = "";
    let seq = 1;
    let ns = 1_700_000_000_000_000_000n;
    let state = 7;
    const rand = (n: number) => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) % n);
    for (let r = 0; r < 200; r++) {
      const count = 1 + rand(60);
      const times: number[] = [];
      for (let k = 0; k < count; k++) {
        times.push(...split(ns + BigInt(k)));
        want += expected(seq + k, ns + BigInt(k), []);
      }
      lines.pushRun(seq, times);
      seq += count + (rand(3) === 0 ? rand(1000) : 0);
      ns += BigInt(count) + (rand(2) === 0 ? BigInt(rand(2_000_000_000)) : 0n);
    }
    for (let k = 0; k < 6000; k++) want += expected(seq + k, ns + BigInt(k), []);
    const times: number[] = [];
    for (let k = 0; k < 6000; k++) times.push(...split(ns + BigInt(k)));
    lines.pushRun(seq, times);
    expect(await text()).toBe(want);
  });
});
