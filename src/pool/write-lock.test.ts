// The writer lock with a deadline, against a real foreign holder (util-linux `flock -x FILE sleep`): synchronous
// and asynchronous appends fail Busy in bounded time naming the holder; asynchronous ones never block the event
// loop, keep their call order and do not deadlock on the process's shared descriptor.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PlasmiteError } from "../errors.ts";
import { encodePayload } from "../format/payload.ts";
import { holdFlock } from "../cli/test-harness.ts";
import { Pool } from "./pool.ts";

const root = mkdtempSync(join(tmpdir(), "plasmite-write-lock-"));
const holders: Array<{ release(): Promise<void> }> = [];
afterAll(async () => {
  for (const h of holders) await h.release();
  rmSync(root, { recursive: true, force: true });
});
let n = 0;

function newPool(): Pool {
  return Pool.create(join(root, `p${n++}.plasmite`), { sizeBytes: 65536 });
}

async function holdLock(path: string) {
  const h = await holdFlock(path);
  holders.push(h);
  return h;
}

const payload = (i: number) => encodePayload({ i }, []);

function busyOf(fn: () => unknown): PlasmiteError {
  try {
    fn();
  } catch (err) {
    return err as PlasmiteError;
  }
  throw new Error("expected Busy");
}

describe("synchronous appends", () => {
  test("fail Busy after the timeout, naming the holding process", async () => {
    const pool = newPool();
    const holder = await holdLock(pool.path);
    pool.lockTimeoutMs = 300;
    const t0 = performance.now();
    const err = busyOf(() => pool.appendPayload(payload(1)));
    const waitedMs = performance.now() - t0;
    expect(err).toBeInstanceOf(PlasmiteError);
    expect(err.kind).toBe("Busy");
    expect(err.path).toBe(pool.path);
    expect(err.message).toContain(`held by pid ${holder.pid} (flock)`);
    expect(waitedMs).toBeGreaterThanOrEqual(290);
    expect(waitedMs).toBeLessThan(1500);
    // a timeout of 0 does not wait at all
    pool.lockTimeoutMs = 0;
    const t1 = performance.now();
    expect(busyOf(() => pool.appendPayload(payload(1))).kind).toBe("Busy");
    expect(performance.now() - t1).toBeLessThan(200);
    await holder.release();
    pool.lockTimeoutMs = 1000;
    expect(pool.appendPayload(payload(2))).toBe(1);
    pool.close();
  });

  test("a stopped holder is named as stopped", async () => {
    const pool = newPool();
    const holder = await holdLock(pool.path);
    holder.stop();
    pool.lockTimeoutMs = 100;
    expect(busyOf(() => pool.appendPayload(payload(1))).message).toMatch(/held by pid \d+ \([^)]*stopped\)/);
    await holder.release();
    pool.close();
  });
});

describe("asynchronous appends", () => {
  test("wait on timers: the event loop keeps running, and they end Busy after the timeout", async () => {
    const pool = newPool();
    const holder = await holdLock(pool.path);
    pool.lockTimeoutMs = 400;
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    const t0 = performance.now();
    const err = await pool.appendPayloadsAsync([payload(1)]).then(
      () => null,
      (e: PlasmiteError) => e,
    );
    clearInterval(ticker);
    expect(err?.kind).toBe("Busy");
    expect(err?.message).toContain(`held by pid ${holder.pid}`);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(390);
    expect(ticks).toBeGreaterThan(15); // a blocked loop would tick at most once
    await holder.release();
    pool.close();
  });

  test("keep call order while they wait, and all land once the holder goes (no self-deadlock)", async () => {
    const pool = newPool();
    const other = Pool.open(pool.path); // a second handle in this process shares the descriptor and its flock
    const holder = await holdLock(pool.path);
    pool.lockTimeoutMs = other.lockTimeoutMs = 5000;
    const seqs: Array<Promise<number>> = [];
    // staggered: the early ones have backed off further than the late ones (a bare retry loop would let a late
    // one win the lock)
    for (let i = 0; i < 20; i++) {
      seqs.push((i % 2 ? other : pool).appendPayloadsAsync([payload(i)]));
      await Bun.sleep(i < 10 ? 20 : 2);
    }
    expect(pool.state().newestSeq).toBe(0);
    await holder.release();
    const got = await Promise.all(seqs);
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    for (let i = 0; i < 20; i++) expect(new TextDecoder().decode(pool.get(i + 1).payload)).toContain(`"i":${i}}`);
    // interleaved with synchronous appends, once free: no deadlock on the shared descriptor
    const mixed = [pool.appendPayloadsAsync([payload(100)]), Promise.resolve(other.appendPayload(payload(101))), other.appendPayloadsAsync([payload(102)])];
    expect((await Promise.all(mixed)).sort()).toEqual([21, 22, 23]);
    other.close();
    pool.close();
  });

  test("a queued append that times out keeps the ones after it in order", async () => {
    const pool = newPool();
    const holder = await holdLock(pool.path);
    pool.lockTimeoutMs = 2000;
    const first = pool.appendPayloadsAsync([payload(0)]);
    pool.lockTimeoutMs = 50;
    const impatient = pool.appendPayloadsAsync([payload(1)]).catch((e: PlasmiteError) => e.kind);
    pool.lockTimeoutMs = 2000;
    const last = pool.appendPayloadsAsync([payload(2)]);
    expect(await impatient).toBe("Busy");
    await holder.release();
    expect(await first).toBe(1);
    expect(await last).toBe(2);
    pool.close();
  });
});
