// Garbage collection paced by messages (gc-pacer.ts): JavaScriptCore counts a pool's mapping as heap, so with a
// large pool open it collects rarely and a loop of one-message gets, appends or cursor reads grows private memory
// by hundreds of MB. Measured on a 1 GiB pool without pacing: 300,000 gets +75 MB, 300,000 appends +142 MB,
// 409,600 cursor reads +112 MB (and 2.2x slower); with it, under 6 MB each.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GC_EDEN_EVERY, GC_FULL_EVERY } from "./gc-pacer.ts";
import { Pool } from "./pool.ts";

const dir = mkdtempSync(join(tmpdir(), "plasmite-gc-pacer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MB = 2 ** 20;
/** Growth allowed per loop, with room for a loaded machine; unpaced loops grew 75, 142 and 112 MB. */
const GROWTH_BOUND_KB = 40 * 1024;

describe("gc pacing", () => {
  test("full collections fall on young-collection boundaries", () => {
    expect(GC_FULL_EVERY % GC_EDEN_EVERY).toBe(0);
  });

  test.skipIf(process.platform !== "linux")("one-message gets, appends and a plain cursor's reads on a 1 GiB pool keep private memory flat", async () => {
    const path = join(dir, "large.plasmite");
    const pool = Pool.create(path, { sizeBytes: 1024 * MB }); // sparse: only what is written takes disk
    const payload = new TextEncoder().encode('{"meta":{"tags":[]},"data":{"k":1,"v":"abcdefgh"}}');
    for (let i = 0; i < 25; i++) pool.appendPayloads(Array.from({ length: 4096 }, () => payload));
    pool.close();
    const child = Bun.spawn([process.execPath, join(import.meta.dir, "procs", "paced.ts"), path, "300000", "300000"], { stderr: "pipe" });
    const out = await new Response(child.stdout).text();
    expect(await child.exited).toBe(0);
    const { start, afterGets, afterAppends, afterReads, reads } = JSON.parse(out) as Record<string, number>;
    expect(start).toBeGreaterThan(0);
    expect(reads).toBe(25 * 4096 + 300_000);
    expect(afterGets - start).toBeLessThanOrEqual(GROWTH_BOUND_KB);
    expect(afterAppends - afterGets).toBeLessThanOrEqual(GROWTH_BOUND_KB);
    expect(afterReads - afterAppends).toBeLessThanOrEqual(GROWTH_BOUND_KB);
  }, 60_000);
});
