// A live `pls serve` with one pool locked by another process (a real util-linux `flock -x` holder): an append to
// it gets 423 Busy after the lock timeout, while the server keeps answering everything else at once (its event
// loop never waits on the lock); appends queued meanwhile all land, in distinct seqs, once the holder goes.
import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { holdFlock, pls, startServe, tempRoot } from "../cli/test-harness.ts";

const root = tempRoot("serve-lock");
const procs: Bun.Subprocess[] = [];
afterAll(() => {
  for (const p of procs) p.kill("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});

const PROMPT_MS = 500;

async function timedFetch(url: string, init?: RequestInit): Promise<{ status: number; body: string; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(url, init);
  const body = await res.text();
  return { status: res.status, body, ms: performance.now() - t0 };
}

const post = (data: unknown): RequestInit => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ data }) });

test("a locked pool: 423 after --lock-timeout; healthz, other pools' appends and tails answer promptly", async () => {
  const dir = join(root, "a");
  for (const p of ["locked", "free"]) expect(pls(["--dir", dir, "pool", "create", p, "--size", "64K"]).code).toBe(0);
  const { proc, url } = await startServe(dir, ["--lock-timeout", "1500"]);
  procs.push(proc);
  const holder = await holdFlock(join(dir, "locked.plasmite"));
  try {
    const t0 = performance.now();
    const blocked = timedFetch(`${url}/v0/pools/locked/append`, post({ x: 1 }));
    await Bun.sleep(100); // the append is now waiting for the lock
    const tail = timedFetch(`${url}/v0/pools/free/tail?from=live&max=1&timeout_ms=5000`);
    const health = await timedFetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(health.ms).toBeLessThan(PROMPT_MS);
    const other = await timedFetch(`${url}/v0/pools/free/append`, post({ y: 1 }));
    expect(other.status).toBe(200);
    expect(other.ms).toBeLessThan(PROMPT_MS);
    const tailed = await tail;
    expect(tailed.status).toBe(200);
    expect(JSON.parse(tailed.body.trim()).data).toEqual({ y: 1 });
    expect(tailed.ms).toBeLessThan(PROMPT_MS + 100);
    const info = await timedFetch(`${url}/v0/pools/locked/info`);
    expect(info.status).toBe(200);
    expect(info.ms).toBeLessThan(PROMPT_MS);

    const refused = await blocked;
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1500);
    expect(refused.status).toBe(423);
    const err = JSON.parse(refused.body).error;
    expect(err.kind).toBe("Busy");
    expect(err.message).toContain(`held by pid ${holder.pid} (flock)`);
    expect(err.path).toBeUndefined();
    expect(JSON.parse((await timedFetch(`${url}/v0/pools/locked/info`)).body).pool.bounds.newest).toBeNull();

    // appends waiting when the holder goes all land, each once
    const waiting = Array.from({ length: 8 }, (_, i) => timedFetch(`${url}/v0/pools/locked/append`, post({ i })));
    await Bun.sleep(200);
    await holder.release();
    const done = await Promise.all(waiting);
    expect(done.map((d) => d.status)).toEqual(Array(8).fill(200));
    expect(done.map((d) => JSON.parse(d.body).message.seq).sort((a: number, b: number) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  } finally {
    await holder.release();
  }
}, 30_000);

test("PLASMITE_LOCK_TIMEOUT_MS bounds the server's wait", async () => {
  const dir = join(root, "b");
  expect(pls(["--dir", dir, "pool", "create", "p", "--size", "64K"]).code).toBe(0);
  const { proc, url } = await startServe(dir, [], { env: { PLASMITE_LOCK_TIMEOUT_MS: "200" } });
  procs.push(proc);
  const holder = await holdFlock(join(dir, "p.plasmite"));
  try {
    const r = await timedFetch(`${url}/v0/pools/p/append`, post({ x: 1 }));
    expect(r.status).toBe(423);
    expect(JSON.parse(r.body).error.message).toContain("after 200 ms");
    expect(r.ms).toBeLessThan(1500);
  } finally {
    await holder.release();
  }
  expect((await timedFetch(`${url}/v0/pools/p/append`, post({ x: 2 }))).status).toBe(200);
});
