// The sparse index at pool level (spec/format/v2.md §3): every retained seq is found through its slot and a short
// walk (never a scan) however many laps the ring made; stale slots only cost a scan; `--since` starts (a binary
// search of lookups) agree with a plain scan; an old-format file is refused naming both versions.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PlasmiteError } from "../errors.ts";
import { Cursor } from "./cursor.ts";
import { doctorPool } from "./doctor.ts";
import { Pool } from "./pool.ts";
import { slotRanges, walkRanges } from "../format/seq-index.ts";
import { FRAME_HEADER_BYTES } from "../format/limits.ts";

const dir = mkdtempSync(join(tmpdir(), "plasmite-seq-index-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `p${n++}.plasmite`);

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
const message = (i: number, pad: number) => enc.encode(`{"meta":{"tags":[]},"data":{"i":${i},"p":"${"x".repeat(pad)}"}}`);

describe("sparse index", () => {
  test("every retained seq is located through the index, across many laps and sizes, and gets its own bytes", () => {
    for (let seed = 1; seed <= 12; seed++) {
      const r = rng(seed);
      const size = [65536, 262144, 1 << 20][seed % 3];
      const indexCapacity = seed % 4 === 0 ? 3 + Math.floor(r() * 200) : undefined; // explicit capacities too
      const pool = Pool.create(freshPath(), { sizeBytes: size, indexCapacity });
      const want = new Map<number, number>(); // seq -> pad
      const laps = 2 + Math.floor(r() * 3);
      let written = 0;
      let seq = 1;
      while (written < pool.geometry.ringSize * laps) {
        const batch: Uint8Array[] = [];
        const count = 1 + Math.floor(r() * 64);
        for (let k = 0; k < count; k++, seq++) {
          const pad = r() < 0.9 ? Math.floor(r() * 40) : Math.floor(r() * 2000); // mostly near the 64-byte minimum
          want.set(seq, pad);
          batch.push(message(seq, pad));
          written += batch[k].length + 40;
        }
        pool.appendPayloads(batch);
      }
      const s = pool.state();
      expect(s.oldestSeq).toBeGreaterThan(1);
      const before = pool.reader.scanFallbacks;
      for (let q = s.oldestSeq; q <= s.newestSeq; q++) {
        const m = pool.get(q);
        expect(m.seq).toBe(q);
        expect(m.payload).toEqual(message(q, want.get(q)!));
      }
      expect(pool.reader.scanFallbacks - before).toBe(0);
      expect(doctorPool(pool.path).warnings).toEqual([]);
      pool.close();
    }
  });

  test("slotRanges and walkRanges cover what a lookup loads: its slot, then the frames up to its own", () => {
    const rand = rng(11);
    const pool = Pool.create(freshPath(), { sizeBytes: 1 << 20, indexCapacity: 1200 }); // stride 16: ranges cover 16 hops
    for (let i = 1; i <= 40_000; i++) pool.appendPayload(message(i, Math.floor(rand() * 50))); // frames <= 128 bytes
    const { indexCapacity: cap, indexStride: stride } = pool.geometry;
    expect(stride).toBe(16);
    const s = pool.state();
    const ring = pool.ring;
    const seqs = Array.from({ length: 2000 }, () => s.oldestSeq + stride + Math.floor(rand() * (s.newestSeq - s.oldestSeq - stride)));
    const slots = new Float64Array(2 * seqs.length);
    const walks = new Float64Array(2 * seqs.length);
    expect(slotRanges(cap, stride, seqs, 0, seqs.length, slots)).toBe(2 * seqs.length);
    expect(walkRanges(ring, cap, stride, seqs, 0, seqs.length, walks)).toBe(2 * seqs.length);
    let covered = 0;
    for (let i = 0; i < seqs.length; i++) {
      const seq = seqs[i]!;
      const base = seq - (seq % stride);
      // the slot: 8 bytes whose first word holds the indexed seq
      expect(slots[2 * i + 1]! - slots[2 * i]!).toBe(8);
      expect(ring.u32[slots[2 * i]! / 4]).toBe(base);
      // the walk starts at the indexed frame and reaches past the header of the frame looked up (unless it wraps)
      const at = ring.ringOffset + pool.reader.locate(seq, s);
      expect(walks[2 * i]).toBe(ring.ringOffset + ring.u32[slots[2 * i]! / 4 + 1]!);
      if (at >= walks[2 * i]!) {
        expect(at + FRAME_HEADER_BYTES).toBeLessThanOrEqual(walks[2 * i + 1]!);
        covered++;
      }
    }
    expect(covered).toBeGreaterThan(seqs.length * 0.9);
    // what no lookup can mean is skipped, not turned into an address
    expect(slotRanges(cap, stride, [1.5, Number.NaN, -1, s.newestSeq], 0, 4, slots)).toBe(2);
    expect(walkRanges(ring, cap, stride, [1.5, Number.NaN, -1], 0, 3, walks)).toBe(0);
    expect(slotRanges(0, 0, [s.newestSeq], 0, 1, slots)).toBe(0);
    pool.close();
  });

  test("a stale or garbage slot falls back to a scan and is reported by doctor as a warning", () => {
    const pool = Pool.create(freshPath(), { sizeBytes: 65536 });
    const stride = pool.geometry.indexStride;
    for (let i = 1; i <= 2000; i++) pool.appendPayload(message(i, i % 7));
    const s = pool.state();
    const q = s.newestSeq - (s.newestSeq % stride) - stride; // an indexed, retained seq
    const slot = (4096 + (Math.floor(q / stride) % pool.geometry.indexCapacity) * 8) / 4;
    pool.ring.u32[slot + 1] = 8; // points at another frame
    const before = pool.reader.scanFallbacks;
    for (let k = 0; k < stride; k++) expect(pool.get(q + k).payload).toEqual(message(q + k, (q + k) % 7));
    expect(pool.reader.scanFallbacks - before).toBe(stride);
    expect(doctorPool(pool.path).warnings.join("\n")).toContain("1 index slot(s) are stale");
    pool.close();
  });

  test("a --since start (first message at or after a time) agrees with a plain scan", () => {
    const pool = Pool.create(freshPath(), { sizeBytes: 131072 });
    for (let i = 1; i <= 6000; i += 50) pool.appendPayloads(Array.from({ length: 50 }, (_, k) => message(i + k, (i + k) % 13)));
    const s = pool.state();
    const times: bigint[] = [];
    for (let q = s.oldestSeq; q <= s.newestSeq; q++) times.push(pool.get(q).timeNs);
    const r = rng(7);
    const probes = [times[0] - 1000n, times[0], times[times.length - 1], times[times.length - 1] + 1n];
    for (let k = 0; k < 200; k++) probes.push(times[Math.floor(r() * times.length)] + BigInt(Math.floor(r() * 3) - 1));
    for (const t of probes) {
      let expected = s.newestSeq + 1;
      for (let i = 0; i < times.length; i++) {
        if (times[i] >= t) {
          expected = s.oldestSeq + i;
          break;
        }
      }
      expect(new Cursor(pool, { timeNs: t }).nextSeq).toBe(expected);
    }
    pool.close();
  });

  test("a format version 1 file is refused: Usage, naming both versions", () => {
    const path = freshPath();
    Pool.create(path, { sizeBytes: 65536 }).close();
    const bytes = readFileSync(path);
    bytes.writeUInt32LE(1, 8); // what a plasmite before the sparse index wrote
    // the geometry crc covers the version: recompute it as a version 1 writer would have
    const { crc32 } = require("../format/crc32.ts") as typeof import("../format/crc32.ts");
    bytes.writeUInt32LE(crc32(bytes, 0, 64), 64);
    writeFileSync(path, bytes);
    try {
      Pool.open(path);
      throw new Error("opened");
    } catch (err) {
      expect(err).toBeInstanceOf(PlasmiteError);
      const e = err as PlasmiteError;
      expect(e.kind).toBe("Usage");
      expect(e.message).toContain("unsupported pool format version 1 (this plasmite reads version 2)");
      expect(e.hint).toContain("older plasmite");
      expect(e.path).toBe(path);
    }
  });
});
