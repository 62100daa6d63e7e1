// Memory of readers is bounded by the batch, not by the history or the message count (#14 part 2): peek
// --tail N over 500,000 messages and a live follower while 500,000 are appended, measured as private memory
// (RssAnon from /proc) of the real process. Before: ~150 MB for the first, growing without bound for the second.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pool } from "../pool/pool.ts";

const dir = mkdtempSync(join(tmpdir(), "plasmite-read-memory-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const main = join(import.meta.dir, "main.ts");
const MB = 2 ** 20;
const MESSAGES = 500_000;
/** Bounds with room for a loaded machine: the measured values are ~50 MB and a few MB of growth. */
const TAIL_PEAK_BOUND_BYTES = 80 * MB;
const FOLLOW_GROWTH_BOUND_BYTES = 24 * MB;

function rssAnonBytes(pid: number): number {
  try {
    const m = /RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

const enc = new TextEncoder();
const batch = Array.from({ length: 4096 }, (_, i) => enc.encode(`{"meta":{"tags":["t${i % 2}"]},"data":{"k":${i % 4},"v":"abcdefgh"}}`));

function fill(pool: Pool, count: number): void {
  for (let n = 0; n < count; n += batch.length) pool.appendPayloads(batch);
}

describe.skipIf(process.platform !== "linux")("reader memory", () => {
  test("peek --tail 500000 (unfiltered and with --tag) stays under the bound", async () => {
    const path = join(dir, "tail.plasmite");
    const pool = Pool.create(path, { sizeBytes: 64 * MB });
    fill(pool, MESSAGES);
    const total = pool.state().newestSeq; // whole batches: a little over MESSAGES, all retained
    pool.close();
    for (const extra of [[], ["--tag", "t1"]]) {
      const out = join(dir, `tail${extra.length}.jsonl`);
      const child = Bun.spawn([process.execPath, main, "peek", path, "--jsonl", "--replay", "0", "--tail", String(MESSAGES), ...extra], { stdout: Bun.file(out), stderr: "pipe" });
      let peak = 0;
      const timer = setInterval(() => (peak = Math.max(peak, rssAnonBytes(child.pid))), 5);
      expect(await child.exited).toBe(0);
      clearInterval(timer);
      const lines = readFileSync(out, "utf8").split("\n").length - 1;
      expect(lines).toBe(extra.length === 0 ? MESSAGES : total / 2); // the last N matches: every t1 message
      expect(peak).toBeGreaterThan(0);
      expect(peak).toBeLessThanOrEqual(TAIL_PEAK_BOUND_BYTES);
    }
  }, 120_000);

  test("a live follower's memory stays flat while 500000 messages are appended", async () => {
    const path = join(dir, "follow.plasmite");
    const pool = Pool.create(path, { sizeBytes: 64 * MB });
    const out = join(dir, "follow.jsonl");
    const child = Bun.spawn([process.execPath, main, "peek", path, "--jsonl"], { stdout: Bun.file(out), stderr: "pipe" });
    try {
      await Bun.sleep(1000);
      let after100k = 0;
      let peak = 0;
      for (let n = 0; n < MESSAGES; n += batch.length) {
        pool.appendPayloads(batch);
        if (n % (batch.length * 8) === 0) await Bun.sleep(2); // the follower keeps up rather than dropping
        const now = rssAnonBytes(child.pid);
        if (n >= 100_000 && after100k === 0) {
          await Bun.sleep(200);
          after100k = rssAnonBytes(child.pid);
        }
        peak = Math.max(peak, now);
      }
      const total = pool.state().newestSeq;
      const deadline = performance.now() + 60_000;
      while (performance.now() < deadline && statSync(out).size < total * 60) {
        peak = Math.max(peak, rssAnonBytes(child.pid));
        await Bun.sleep(100);
      }
      expect(after100k).toBeGreaterThan(0);
      expect(peak - after100k).toBeLessThanOrEqual(FOLLOW_GROWTH_BOUND_BYTES);
    } finally {
      child.kill();
      await child.exited;
      pool.close();
    }
  }, 120_000);
});
