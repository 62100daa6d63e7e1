// `pool info`: the JSON object users see (CLI `pool info`, the server's POOL-INFO, MCP), shaped from the engine's
// raw figures (Pool.geometry, Pool.stats). Shaping only: it reads nothing itself.
import { isEmpty, type Geometry } from "../format/header.ts";
import { formatTime } from "../wire/index.ts";
import type { PoolStats } from "../pool/pool.ts";

/** `pool info` JSON: the shape the Rust plasmite's `pool info --json` prints. */
export interface PoolInfo {
  path: string;
  file_size: number;
  index_offset: number;
  index_capacity: number;
  /** Seqs per index slot: a lookup reads one slot and walks fewer than this many frames (spec/format/v2.md §3). */
  index_stride: number;
  index_size_bytes: number;
  ring_offset: number;
  ring_size: number;
  bounds: { oldest: number | null; newest: number | null };
  metrics: {
    message_count: number;
    seq_span: number;
    utilization: { used_bytes: number; free_bytes: number; used_percent: number };
    age: { oldest_time: string | null; newest_time: string | null; oldest_age_ms: number | null; newest_age_ms: number | null };
  };
}

/** The info of the pool file at `path` with geometry `g`, from `stats` read at `nowNs` (Unix ns). */
export function shapeInfo(path: string, g: Geometry, stats: PoolStats, nowNs: bigint): PoolInfo {
  const s = stats.state;
  const empty = isEmpty(s);
  const used = stats.usedBytes;
  const oldestTime = stats.oldestTimeNs;
  const newestTime = empty ? null : s.newestTimeNs;
  const count = empty ? 0 : s.newestSeq - s.oldestSeq + 1;
  return {
    path,
    file_size: g.fileSize,
    index_offset: g.indexOffset,
    index_capacity: g.indexCapacity,
    index_stride: g.indexStride,
    index_size_bytes: g.indexCapacity * 8,
    ring_offset: g.ringOffset,
    ring_size: g.ringSize,
    bounds: { oldest: empty ? null : s.oldestSeq, newest: empty ? null : s.newestSeq },
    metrics: {
      message_count: count,
      seq_span: count,
      utilization: { used_bytes: used, free_bytes: g.ringSize - used, used_percent: Math.floor((used * 10000) / g.ringSize) / 100 },
      age: {
        oldest_time: oldestTime === null ? null : formatTime(oldestTime),
        newest_time: newestTime === null ? null : formatTime(newestTime),
        oldest_age_ms: oldestTime === null ? null : Math.max(0, Number((nowNs - oldestTime) / 1_000_000n)),
        newest_age_ms: newestTime === null ? null : Math.max(0, Number((nowNs - newestTime) / 1_000_000n)),
      },
    },
  };
}
