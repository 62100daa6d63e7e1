// Cross-process follow wake-up latency: a writer process appends one message every ~2 ms carrying its
// CLOCK_MONOTONIC send time; a follower process (this one) reads it and records receive - send.
// Baseline in the same run: the same follower polling with a 1 ms sleep and no futex (how the Rust CLI's
// bench follower waits). Usage: bun scripts/bench-follow.ts [--quick]
import { join } from "node:path";
import { Pool } from "../src/pool/pool.ts";
import { Cursor } from "../src/pool/cursor.ts";
import { decodePayload } from "../src/format/payload.ts";
import { benchDir, printRows } from "./bench-lib.ts";

// CLOCK_MONOTONIC through libc: process.hrtime and Bun.nanoseconds count from each process's start.
import { dlopen, FFIType, ptr } from "bun:ffi";
const libc = dlopen(process.platform === "darwin" ? "libSystem.B.dylib" : "libc.so.6", {
  clock_gettime: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
}).symbols;
const ts = new BigInt64Array(2);
const CLOCK_MONOTONIC = process.platform === "darwin" ? 6 : 1;
function monotonicNs(): bigint {
  libc.clock_gettime(CLOCK_MONOTONIC, ptr(ts));
  return ts[0] * 1_000_000_000n + ts[1];
}

const quick = process.argv.includes("--quick");
const MESSAGES = quick ? 300 : 2000;

if (process.argv[2] === "--writer") {
  const [path, count, gapUs] = process.argv.slice(3);
  const pool = Pool.open(path);
  await Bun.sleep(300);
  for (let i = 0; i < Number(count); i++) {
    const payload = new TextEncoder().encode(`{"meta":{"tags":[]},"data":{"sent":${monotonicNs()}}}`);
    pool.appendPayload(payload);
    const until = Bun.nanoseconds() + Number(gapUs) * 1000 * (0.5 + Math.random());
    while (Bun.nanoseconds() < until) Bun.sleepSync(0.2);
  }
  process.exit(0);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function run(useFutex: boolean): Promise<{ p50: number; p99: number; max: number }> {
  const path = join(benchDir, `follow-${useFutex}.plasmite`);
  const pool = Pool.create(path, { sizeBytes: 4 * 1024 * 1024 });
  const cursor = new Cursor(pool);
  const writer = Bun.spawn([process.execPath, import.meta.path, "--writer", path, String(MESSAGES), "2000"], { stdout: "inherit", stderr: "inherit" });
  const latencies: number[] = [];
  while (latencies.length < MESSAGES) {
    const item = cursor.next();
    if (item?.message) {
      const now = monotonicNs();
      const sent = BigInt(String(decodePayload(item.message.payload).data.sent));
      latencies.push(Number(now - sent) / 1000);
      continue;
    }
    if (useFutex) cursor.waitSync(1000);
    else Bun.sleepSync(1);
  }
  await writer.exited;
  pool.close();
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies[latencies.length - 1] };
}

const polled = await run(false);
const futex = await run(true);
printRows(`cross-process follow latency, ${MESSAGES} messages ~2 ms apart (microseconds; ratio = baseline / this)`, [
  { name: "baseline: poll with 1 ms sleep, p50", value: polled.p50, unit: "us", ratio: 1 },
  { name: "baseline: poll with 1 ms sleep, p99", value: polled.p99, unit: "us", ratio: 1 },
  { name: "futex wake-up + bounded polling, p50", value: futex.p50, unit: "us", ratio: polled.p50 / futex.p50, target: "<= 100 us", ok: futex.p50 <= 100 },
  { name: "futex wake-up + bounded polling, p99", value: futex.p99, unit: "us", ratio: polled.p99 / futex.p99, target: "<= 1000 us", ok: futex.p99 <= 1000 },
  { name: "futex wake-up + bounded polling, max", value: futex.max, unit: "us" },
]);
