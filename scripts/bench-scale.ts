// Reads at scale (issue #14): lookups and `--since` starts independent of the pool's size, and memory bounded by
// the batch for `peek --tail N`, live followers and the server. Every figure is printed next to a baseline
// measured in this run. Usage: bun scripts/bench-scale.ts [--quick] [--size BYTES] [--only get,since,tail,follow,serve]
// The full run fills a 4 GiB pool (~45M messages) under $PLASMITE_BENCH_DIR (default /tmp); --quick uses 256 MiB.
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { Pool, formatTime } from "../src/pool/pool.ts";
import { benchDir, interleavedMedians, printRows, type Row } from "./bench-lib.ts";

const quick = process.argv.includes("--quick");
const argAfter = (flag: string) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const SIZE = Number(argAfter("--size") ?? (quick ? 256 * 2 ** 20 : 4 * 2 ** 30));
const only = new Set((argAfter("--only") ?? "get,since,tail,follow,serve").split(","));
const bun = process.execPath;
const main = join(import.meta.dir, "../src/cli/main.ts");
const pls = (...args: string[]) => [bun, main, ...args];

// Four message shapes cycled: two tags, a number --where can test. Payloads of 57-59 bytes: 96-byte frames.
const enc = new TextEncoder();
const shapes = [0, 1, 2, 3].map((k) => enc.encode(`{"meta":{"tags":["t${k % 2}"]},"data":{"k":${k},"v":"abcdefgh"}}`));

const path = join(benchDir, "big.plasmite");
const fillT0 = performance.now();
const pool = Pool.create(path, { sizeBytes: SIZE });
{
  // two laps: the ring is full and has wrapped, so oldest_seq > 1 and every offset has been written twice
  const batch = Array.from({ length: 4096 }, (_, i) => shapes[i % 4]);
  const perLap = Math.ceil(pool.geometry.ringSize / 96);
  for (let n = 0; n < perLap * 2; n += batch.length) pool.appendPayloads(batch);
}
const s = pool.state();
const retained = s.newestSeq - s.oldestSeq + 1;
console.log(
  `pool: ${SIZE} bytes, ${retained} messages retained (seqs ${s.oldestSeq}..${s.newestSeq}), index ${pool.geometry.indexCapacity} slots, stride ${pool.geometry.indexStride}; filled in ${((performance.now() - fillT0) / 1000).toFixed(1)} s`,
);

const rate = (ops: number, ms: number) => (ops * 1000) / ms;

if (only.has("get")) {
  // In-process get of random seqs anywhere, against random seqs among the newest 65,536 (all that format 1's
  // default index covered: everything older was a scan).
  const N = quick ? 300_000 : 1_000_000;
  const rand = (span: number) => Array.from({ length: N }, () => s.newestSeq - Math.floor(Math.random() * span));
  const anywhere = rand(retained);
  const recent = rand(Math.min(65536, retained));
  const time = (seqs: number[]) => {
    let best = Infinity;
    for (let round = 0; round < 3; round++) {
      const t0 = performance.now();
      for (const q of seqs) if (pool.get(q).seq !== q) throw new Error(`get(${q}) returned another seq`);
      best = Math.min(best, performance.now() - t0);
    }
    return best;
  };
  const recentMs = time(recent);
  const anywhereMs = time(anywhere);
  // one-shot `pls get` of the oldest, the middle and the newest seq (whole process, medians of interleaved runs)
  const mid = Math.floor((s.oldestSeq + s.newestSeq) / 2);
  const runs = quick ? 5 : 9;
  const [baseMs, oldestMs, midMs, newestMs] = interleavedMedians(
    [[bun, "-e", "console.log(1)"], pls("get", path, String(s.oldestSeq)), pls("get", path, String(mid)), pls("get", path, String(s.newestSeq))],
    runs,
  );
  const spread = Math.max(oldestMs, midMs, newestMs) / Math.min(oldestMs, midMs, newestMs);
  printRows(`get by seq, ${retained} messages in a ${SIZE}-byte pool`, [
    { name: "baseline: get among the newest 65,536 seqs", value: rate(N, recentMs), unit: "ops/s", ratio: 1 },
    { name: "get of random seqs anywhere", value: rate(N, anywhereMs), unit: "ops/s", ratio: recentMs / anywhereMs, target: ">= 1M/s", ok: rate(N, anywhereMs) >= 1e6 },
    { name: "baseline: `bun -e` one-line process", value: baseMs, unit: "ms", ratio: 1 },
    { name: `pls get, oldest seq ${s.oldestSeq}`, value: oldestMs, unit: "ms", ratio: oldestMs / baseMs },
    { name: `pls get, middle seq ${mid}`, value: midMs, unit: "ms", ratio: midMs / baseMs },
    { name: `pls get, newest seq ${s.newestSeq}`, value: newestMs, unit: "ms", ratio: newestMs / baseMs },
    { name: "slowest / fastest of the three", value: spread, unit: "x", target: "<= 1.5x", ok: spread <= 1.5 },
  ]);
}

if (only.has("since")) {
  // `peek --since TIME --one`: the start is a binary search of lookups; an old time against a recent one
  const at = (seq: number) => formatTime(pool.get(seq).timeNs);
  const mid = Math.floor((s.oldestSeq + s.newestSeq) / 2);
  const peekSince = (seq: number) => pls("peek", path, "--since", at(seq), "--one", "--jsonl");
  const runs = quick ? 5 : 9;
  const [baseMs, oldMs, midMs, newMs] = interleavedMedians(
    [[bun, "-e", "console.log(1)"], peekSince(s.oldestSeq + 10), peekSince(mid), peekSince(s.newestSeq)],
    runs,
  );
  const spread = Math.max(oldMs, midMs, newMs) / Math.min(oldMs, midMs, newMs);
  printRows("peek --since TIME --one (whole process)", [
    { name: "baseline: `bun -e` one-line process", value: baseMs, unit: "ms", ratio: 1 },
    { name: "--since the oldest messages' time", value: oldMs, unit: "ms", ratio: oldMs / baseMs },
    { name: "--since the middle message's time", value: midMs, unit: "ms", ratio: midMs / baseMs },
    { name: "--since the newest message's time", value: newMs, unit: "ms", ratio: newMs / baseMs },
    { name: "slowest / fastest of the three", value: spread, unit: "x", target: "<= 1.5x", ok: spread <= 1.5 },
  ]);
}

/** Private memory (RssAnon) of a process in bytes, from /proc (0 once it has exited). */
export function rssAnonBytes(pid: number): number {
  try {
    const m = /RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

pool.close();
void ([] as Row[]);
