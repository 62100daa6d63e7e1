// Real processes sharing one pool: concurrent writers, a lock-free follower, and writers killed mid-append.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodePayload } from "../format/payload.ts";
import { Cursor } from "./cursor.ts";
import { doctorPool } from "./doctor.ts";
import { Pool } from "./pool.ts";

const dir = mkdtempSync(join(tmpdir(), "plasmite-mp-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const procs = join(import.meta.dir, "procs");

function spawnWriter(path: string, id: number, count: number, mode = "simple", seed = 1) {
  return Bun.spawn([process.execPath, join(procs, "writer.ts"), path, String(id), String(count), mode], {
    env: { ...process.env, SEED: String(seed) },
    stderr: "pipe",
  });
}

async function startFollower(path: string, total: number, mode = "one") {
  const proc = Bun.spawn([process.execPath, join(procs, "follower.ts"), path, String(total), "60000", mode], { stdout: "pipe", stderr: "pipe" });
  const reader = proc.stdout.getReader();
  let text = "";
  while (!text.includes("ready\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`follower exited early: ${await new Response(proc.stderr).text()}`);
    text += new TextDecoder().decode(value);
  }
  return {
    async result() {
      let rest = text.slice(text.indexOf("ready\n") + 6);
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        rest += new TextDecoder().decode(value);
      }
      expect(await proc.exited).toBe(0);
      return JSON.parse(rest.trim());
    },
  };
}

function checkAllFromOldest(path: string, total: number, writers: number, perWriter: number) {
  const pool = Pool.open(path);
  const s = pool.state();
  expect(s.newestSeq).toBe(total);
  const cursor = new Cursor(pool, { oldest: true });
  const last = new Map<number, number>();
  let expected = s.oldestSeq;
  for (let it = cursor.next(); it; it = cursor.next()) {
    expect(it.drop).toBeUndefined();
    expect(it.message!.seq).toBe(expected++);
    const { data } = decodePayload(it.message!.payload);
    const w = data.w as number;
    expect(data.i as number).toBeGreaterThan(last.get(w) ?? -1);
    last.set(w, data.i as number);
  }
  expect(expected).toBe(total + 1);
  if (s.oldestSeq === 1) {
    for (let w = 0; w < writers; w++) expect(last.get(w)).toBe(perWriter - 1);
  }
  pool.close();
}

const WRITERS = 4;
const PER_WRITER = 5000;
const TOTAL = WRITERS * PER_WRITER;

/** A pool of `sizeBytes`, a follower process from seq 1, and WRITERS writer processes; returns the follower's summary. */
async function writeWhileFollowing(name: string, sizeBytes: number, mode = "one") {
  const path = join(dir, name);
  Pool.create(path, { sizeBytes }).close();
  const follower = await startFollower(path, TOTAL, mode);
  const ws = Array.from({ length: WRITERS }, (_, w) => spawnWriter(path, w, PER_WRITER));
  for (const w of ws) expect(await w.exited).toBe(0);
  const summary = await follower.result();
  checkAllFromOldest(path, TOTAL, WRITERS, PER_WRITER);
  expect(doctorPool(path).status).toBe("ok");
  return summary;
}

describe("multi-process", () => {
  test("4 writer processes and a follower: seqs 1..total, each writer's order kept, follower sees all", async () => {
    const summary = await writeWhileFollowing("big.plasmite", 8 * 1024 * 1024);
    expect(summary).toEqual({ read: TOTAL, dropped: 0, dropEvents: 0, lastSeq: TOTAL, problems: [] });
  });

  test("a follower lapped by writers on a small ring reports drops whose counts add up exactly", async () => {
    const summary = await writeWhileFollowing("small.plasmite", 16384);
    expect(summary.problems).toEqual([]);
    expect(summary.read + summary.dropped).toBe(TOTAL);
    // 20,000 messages through a ring that holds ~200: the follower is certainly lapped
    expect(summary.dropEvents).toBeGreaterThan(0);
    expect(summary.lastSeq).toBe(TOTAL);
  });

  test("the same with batch reads (frames copied in runs into reused blocks, as the follow engine reads)", async () => {
    const small = await writeWhileFollowing("small-batch.plasmite", 16384, "batch");
    expect(small.problems).toEqual([]);
    expect(small.read + small.dropped).toBe(TOTAL);
    expect(small.dropEvents).toBeGreaterThan(0);
    expect(small.lastSeq).toBe(TOTAL);
    const big = await writeWhileFollowing("big-batch.plasmite", 8 * 1024 * 1024, "batch");
    expect(big).toEqual({ read: TOTAL, dropped: 0, dropEvents: 0, lastSeq: TOTAL, problems: [] });
  });
});

describe("crash safety", () => {
  test("writers SIGKILLed at random moments mid-append never leave a torn or invalid pool", async () => {
    const path = join(dir, "crash.plasmite");
    Pool.create(path, { sizeBytes: 65536 }).close();
    const kills = Number(process.env.PLASMITE_CRASH_KILLS ?? 40);
    let lastNewest = 0;
    for (let k = 0; k < kills; k++) {
      const victim = spawnWriter(path, k, 1_000_000, "mixed", k + 1);
      // kill at a random moment once it is appending (waiting on its first append, not a fixed sleep: a
      // loaded machine can take far longer than usual to start a process)
      const watch = Pool.open(path);
      const started = performance.now();
      while (watch.state().newestSeq <= lastNewest && performance.now() - started < 30_000) await Bun.sleep(2);
      watch.close();
      expect(performance.now() - started).toBeLessThan(30_000);
      await Bun.sleep(Math.floor(Math.random() * 40));
      victim.kill("SIGKILL");
      expect(await victim.exited).not.toBe(0);
      const report = doctorPool(path);
      expect(report.issues).toEqual([]);
      expect(report.status).toBe("ok");
      const pool = Pool.open(path);
      const s = pool.state();
      expect(s.newestSeq).toBeGreaterThanOrEqual(lastNewest);
      lastNewest = s.newestSeq;
      // every visible message is complete: parses, and belongs to a writer that existed
      const cursor = new Cursor(pool, { oldest: true });
      let expected = s.oldestSeq;
      for (let it = cursor.next(); it && it.message && it.message.seq <= s.newestSeq; it = cursor.next()) {
        expect(it.message.seq).toBe(expected++);
        const { data, tags } = decodePayload(it.message.payload);
        expect(tags).toEqual(["crash"]);
        expect(data.w as number).toBeLessThanOrEqual(k);
      }
      // the lock died with the writer: the next append proceeds at once
      const t0 = performance.now();
      pool.appendPayload(new TextEncoder().encode('{"meta":{"tags":["crash"]},"data":{"w":0,"i":-1}}'));
      expect(performance.now() - t0).toBeLessThan(1000);
      lastNewest++;
      pool.close();
    }
    expect(lastNewest).toBeGreaterThan(kills);
  });
});
