// The server's per-pool watcher starts its worker thread only when a stream first waits: a stream that ends
// without waiting (a one-message tail, a backlog read to its end) never pays the ~10 ms a worker takes to start.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "../api/client.ts";
import { Watchers } from "./watcher.ts";

const dir = mkdtempSync(join(tmpdir(), "plasmite-watcher-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a lease that never waits starts no watch; the first wait starts one; the last release stops it", async () => {
  const client = new Client(dir);
  const handle = client.createPool("w", { sizeBytes: 1 << 20 });
  handle.append({ n: 1 });
  const watchers = new Watchers();

  const quick = watchers.acquire(handle);
  expect(quick.generation()).toBe(handle.generation());
  expect([watchers.count, watchers.started]).toEqual([1, 0]);
  quick.release();
  expect([watchers.count, watchers.started]).toEqual([0, 0]);

  const waiting = watchers.acquire(handle);
  const gen = waiting.generation();
  const waited = waiting.wait(10_000, undefined, gen);
  expect(watchers.started).toBe(1);
  const second = watchers.acquire(handle); // another stream on the pool shares the started watch
  expect([watchers.count, watchers.started]).toEqual([1, 1]);
  const poked = Bun.spawnSync([process.execPath, join(import.meta.dir, "..", "cli", "main.ts"), "--dir", dir, "poke", "w", '{"n":2}']);
  expect(poked.exitCode).toBe(0);
  await waited; // (a wake-up by another process is src/platform/futex-watcher.test.ts's)
  expect(waiting.generation()).not.toBe(gen);
  waiting.release();
  expect([watchers.count, watchers.started]).toEqual([1, 1]);
  second.release();
  expect([watchers.count, watchers.started]).toEqual([0, 0]);
  await watchers.stopAll();
  handle.close();
});
