// The futex watcher on a plain shared file: another process changes the watched word and wakes it, the worker
// counts itself among the waiters only while it sleeps on a writable mapping, a read-only mapping is polled and
// never stored to, and a file shrunk under the mapping is reported instead of read (no SIGBUS).
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mapFile, openExisting, unmapAndClose } from "./files.ts";
import { watchWord } from "./futex-watcher.ts";
import { watcherMain } from "./futex-worker.ts";

const dir = mkdtempSync(join(tmpdir(), "plasmite-watcher-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const GEN = 128;
const WAITERS = 132;

function mapped(name: string, writable: boolean) {
  const path = join(dir, name);
  writeFileSync(path, new Uint8Array(8192));
  const { fd } = openExisting(path, writable);
  return mapFile(path, fd, 8192, writable);
}

/** Another process stores `value` into the word at GEN and wakes its waiters (what a writer's publish does). */
function publishFromAnotherProcess(path: string, value: number): void {
  const script = `
    import { mapFile, openExisting, futexWake } from ${JSON.stringify(join(import.meta.dir, "files.ts"))};
    const { fd } = openExisting(${JSON.stringify(path)});
    const f = mapFile(${JSON.stringify(path)}, fd, 8192, true);
    Atomics.store(new Int32Array(f.bytes.buffer), ${GEN / 4}, ${value});
    futexWake(f, ${GEN});`;
  const r = Bun.spawnSync([process.execPath, "-e", script], { stderr: "pipe" });
  expect(r.stderr.toString()).toBe("");
  expect(r.exitCode).toBe(0);
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await Bun.sleep(2);
  }
}

describe("watchWord", () => {
  test("the worker's source uses nothing outside its body (it runs from a Blob)", () => {
    // the next tests run it so (a name from outside its body would throw there); here: no module loading
    expect(watcherMain.toString()).not.toMatch(/\bimport\b|\brequire\(/);
  });

  test("a writable mapping: counted among the waiters while asleep, woken by another process, off the count once stopped", async () => {
    const file = mapped("w", true);
    const words = new Int32Array(file.bytes.buffer);
    let changes = 0;
    const watch = watchWord(file, GEN, WAITERS, () => changes++);
    await until(() => Atomics.load(words, WAITERS / 4) === 1);
    const t0 = performance.now();
    publishFromAnotherProcess(file.path, 7);
    await until(() => changes === 1);
    // woken, not found by a time-out (which is 100 ms, and the spawn alone takes tens of ms)
    expect(performance.now() - t0).toBeLessThan(2000);
    await until(() => Atomics.load(words, WAITERS / 4) === 1);
    const s0 = performance.now();
    await watch.stop();
    // it left its wait when woken for the stop, not after the 500 ms grace or a terminate
    expect(performance.now() - s0).toBeLessThan(400);
    expect(Atomics.load(words, WAITERS / 4)).toBe(0);
    unmapAndClose(file);
  });

  test("a read-only mapping: polled, never stored to, and still sees each change", async () => {
    const file = mapped("r", false);
    const before = readFileSync(file.path);
    let changes = 0;
    const watch = watchWord(file, GEN, WAITERS, () => changes++);
    await Bun.sleep(100);
    expect(Buffer.from(readFileSync(file.path)).equals(before)).toBe(true); // not even the waiters word
    publishFromAnotherProcess(file.path, 9);
    await until(() => changes === 1);
    await watch.stop();
    expect(new Int32Array(readFileSync(file.path).buffer.slice(0, 8192))[WAITERS / 4]).toBe(0);
    unmapAndClose(file);
  });

  test("a file shrunk under the mapping: reported once as a change, and the worker stops reading it", async () => {
    const file = mapped("t", false);
    let changes = 0;
    const watch = watchWord(file, GEN, WAITERS, () => changes++);
    await Bun.sleep(50);
    truncateSync(file.path, 0);
    await until(() => changes === 1);
    await Bun.sleep(100);
    expect(changes).toBe(1);
    await watch.stop();
    unmapAndClose(file);
  });
});
