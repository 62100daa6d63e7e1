// Property test of the history read path: random pools (several laps, random sizes), random starts (last N, a
// time, a seq, the oldest) and random filters (sync and async): readHistory's output equals a reference computed
// by a plain scan of every retained message; the cursor is left after the edge.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cursor, type CursorStart, type Drop } from "./cursor.ts";
import { HISTORY_BATCH, readHistory } from "./history.ts";
import { Pool } from "./pool.ts";
import type { StoredMessage } from "./reader.ts";

const dir = mkdtempSync(join(tmpdir(), "plasmite-history-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

const enc = new TextEncoder();
const dec = new TextDecoder();

async function collect(pool: Pool, start: CursorStart, last: number | undefined, match: ((m: StoredMessage) => boolean) | null, asyncMatch: boolean) {
  const cursor = new Cursor(pool, start);
  const drops: Drop[] = [];
  const seqs: number[] = [];
  const batchMatch = match
    ? (batch: StoredMessage[]) => {
        const flags = batch.map(match);
        return asyncMatch ? Promise.resolve(flags) : flags;
      }
    : undefined;
  for await (const batch of readHistory(pool, cursor, { last, match: batchMatch, onDrop: (d) => (drops.push(d), false) })) {
    expect(batch.length).toBeLessThanOrEqual(HISTORY_BATCH);
    for (const m of batch) seqs.push(m.seq);
  }
  return { seqs, drops, next: cursor.nextSeq };
}

describe("readHistory", () => {
  test("equals a plain scan for random pools, starts and filters", async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const r = rng(seed);
      const pool = Pool.create(join(dir, `p${n++}.plasmite`), { sizeBytes: [65536, 262144, 1 << 20][seed % 3] });
      const total = 500 + Math.floor(r() * 20000);
      for (let i = 1; i <= total; ) {
        const k = Math.min(total - i + 1, 1 + Math.floor(r() * 300));
        pool.appendPayloads(Array.from({ length: k }, (_, j) => enc.encode(`{"meta":{"tags":["t${(i + j) % 5}"]},"data":{"i":${i + j},"p":"${"x".repeat((i + j) % 37)}"}}`)));
        i += k;
      }
      const s = pool.state();
      // the reference: every retained message, scanned from the oldest
      const all: Array<{ seq: number; timeNs: bigint; text: string }> = [];
      const scan = new Cursor(pool, { oldest: true });
      for (let it = scan.next(); it; it = scan.next()) all.push({ seq: it.message!.seq, timeNs: it.message!.timeNs, text: dec.decode(it.message!.payload) });
      expect(all.length).toBe(s.newestSeq - s.oldestSeq + 1);
      for (let trial = 0; trial < 6; trial++) {
        const mod = 1 + Math.floor(r() * 9);
        const rare = r() < 0.3;
        const pred = r() < 0.25 ? null : (seq: number, text: string) => (rare ? seq % 997 === 0 : seq % mod === 0 || text.includes('"t1"'));
        const match = pred ? (m: StoredMessage) => pred(m.seq, dec.decode(m.payload)) : null;
        const kind = Math.floor(r() * 4);
        let expected: number[];
        let start: CursorStart;
        let last: number | undefined;
        const matching = all.filter((m) => !pred || pred(m.seq, m.text)).map((m) => m.seq);
        if (kind === 0) {
          last = r() < 0.1 ? 0 : Math.floor(r() * (r() < 0.5 ? 50 : all.length + 100));
          start = match ? { oldest: true } : { last };
          expected = last === 0 ? [] : matching.slice(-last);
        } else if (kind === 1) {
          const pick = all[Math.floor(r() * all.length)];
          const t = pick.timeNs + BigInt(Math.floor(r() * 3) - 1);
          start = { timeNs: t };
          expected = all.filter((m) => m.timeNs >= t && (!pred || pred(m.seq, m.text))).map((m) => m.seq);
        } else if (kind === 2) {
          const seq = s.oldestSeq + Math.floor(r() * all.length);
          start = { seq };
          expected = matching.filter((q) => q >= seq);
        } else {
          start = { oldest: true };
          expected = matching;
        }
        const got = await collect(pool, start, last, match, r() < 0.5);
        expect(got.drops).toEqual([]);
        expect(got.seqs).toEqual(expected);
        expect(got.next).toBe(s.newestSeq + 1);
      }
      pool.close();
    }
  }, 120_000);

  test("reads overwritten meanwhile are reported as drops, and a drop can stop the history", async () => {
    const pool = Pool.create(join(dir, `p${n++}.plasmite`), { sizeBytes: 1 << 20 }); // ~13,000 retained
    const msg = (i: number) => enc.encode(`{"meta":{"tags":[]},"data":{"i":${i}}}`);
    const lap = Array.from({ length: 20000 }, (_, i) => msg(i));
    pool.appendPayloads(lap);
    const s = pool.state();
    const cursor = new Cursor(pool, { oldest: true });
    const seen: number[] = [];
    const drops: Drop[] = [];
    let first = true;
    for await (const batch of readHistory(pool, cursor, { onDrop: (d) => (drops.push(d), true), untilSeq: s.newestSeq })) {
      for (const m of batch) seen.push(m.seq);
      if (first) {
        first = false;
        pool.appendPayloads(lap); // a full lap: everything not yet read is gone
      }
    }
    expect(drops.length).toBe(1);
    expect(seen.length).toBe(HISTORY_BATCH);
    expect(drops[0].fromSeq).toBe(seen[seen.length - 1] + 1);
    pool.close();
  });
});
