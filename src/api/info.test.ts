// `pool info` as users see it: shaped by the library (shapeInfo) from the engine's geometry and stats.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "./index.ts";
import { shapeInfo } from "./info.ts";

const dir = mkdtempSync(join(tmpdir(), "plasmite-info-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const client = new Client(dir);

const geometry = { fileSize: 65536, indexOffset: 4096, indexCapacity: 64, indexStride: 4, ringOffset: 4608, ringSize: 60928, createdNs: 1n };
const state = (oldestSeq: number, newestSeq: number, newestTimeNs: bigint) => ({ gen: 1, headOff: 0, tailOff: 0, oldestSeq, newestSeq, newestTimeNs });

describe("shapeInfo", () => {
  test("every member, in the order the spec prints them, from raw figures", () => {
    const now = 1_700_000_010_000_000_000n;
    const info = shapeInfo("/p.plasmite", geometry, { state: state(5, 7, 1_700_000_009_000_000_000n), usedBytes: 300, oldestTimeNs: 1_700_000_000_500_000_000n }, now);
    expect(JSON.stringify(info)).toBe(
      JSON.stringify({
        path: "/p.plasmite",
        file_size: 65536,
        index_offset: 4096,
        index_capacity: 64,
        index_stride: 4,
        index_size_bytes: 512,
        ring_offset: 4608,
        ring_size: 60928,
        bounds: { oldest: 5, newest: 7 },
        metrics: {
          message_count: 3,
          seq_span: 3,
          utilization: { used_bytes: 300, free_bytes: 60628, used_percent: 0.49 },
          age: { oldest_time: "2023-11-14T22:13:20.5Z", newest_time: "2023-11-14T22:13:29Z", oldest_age_ms: 9500, newest_age_ms: 1000 },
        },
      }),
    );
  });

  test("an empty pool has null bounds and times; a clock behind a message gives age 0, not a negative one", () => {
    const empty = shapeInfo("/p", geometry, { state: state(1, 0, 0n), usedBytes: 0, oldestTimeNs: null }, 5n);
    expect(empty.bounds).toEqual({ oldest: null, newest: null });
    expect(empty.metrics).toEqual({
      message_count: 0,
      seq_span: 0,
      utilization: { used_bytes: 0, free_bytes: 60928, used_percent: 0 },
      age: { oldest_time: null, newest_time: null, oldest_age_ms: null, newest_age_ms: null },
    });
    const ahead = shapeInfo("/p", geometry, { state: state(1, 1, 10_000_000n), usedBytes: 40, oldestTimeNs: 10_000_000n }, 0n);
    expect(ahead.metrics.age.oldest_age_ms).toBe(0);
    expect(ahead.metrics.age.newest_age_ms).toBe(0);
  });
});

describe("PoolHandle.info", () => {
  test("name first, then the shaped info of the pool now", () => {
    const p = client.createPool("shaped", { sizeBytes: 65536 });
    let info = p.info();
    expect(Object.keys(info)).toEqual(["name", "path", "file_size", "index_offset", "index_capacity", "index_stride", "index_size_bytes", "ring_offset", "ring_size", "bounds", "metrics"]);
    expect(info.name).toBe("shaped");
    expect(info.path).toBe(join(dir, "shaped.plasmite"));
    expect(info.bounds).toEqual({ oldest: null, newest: null });
    expect(info.metrics.utilization.used_bytes).toBe(0);
    for (let i = 1; i <= 3; i++) p.append({ i });
    info = p.info();
    expect(info.file_size).toBe(65536);
    expect(info.ring_offset + info.ring_size).toBe(65536);
    expect(info.bounds).toEqual({ oldest: 1, newest: 3 });
    expect(info.metrics.message_count).toBe(3);
    expect(info.metrics.utilization.used_bytes + info.metrics.utilization.free_bytes).toBe(info.ring_size);
    expect(info.metrics.age.oldest_time).toBe(p.get(1).time);
    expect(info.metrics.age.newest_time).toBe(p.get(3).time);
    expect(info.metrics.age.newest_age_ms).toBeGreaterThanOrEqual(0);
    p.close();
  });
});
