// Leftovers of interrupted pool creates (.NAME.PID.RANDOM.tmp): real creates SIGKILLed while allocating, then
// reported by doctor --all and pool list with a command to remove them once stale, and removed by the next create
// or list; a create that runs out of space leaves nothing at all.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUN, MAIN, errorOf, pls, tempRoot } from "../cli/test-harness.ts";
import { STALE_TEMP_AGE_MS } from "./create-temps.ts";

const root = tempRoot("create-temps");
afterAll(() => rmSync(root, { recursive: true, force: true }));

const hidden = (dir: string) => readdirSync(dir).filter((n) => n.startsWith(".")).sort();

/** Starts `pool create NAME` and SIGKILLs it as soon as its temp file exists (mid-allocation). */
async function killDuringCreate(dir: string, name: string): Promise<void> {
  const proc = Bun.spawn([BUN, MAIN, "--dir", dir, "pool", "create", name, "--size", "256M"], { stdout: "ignore", stderr: "ignore" });
  const deadline = performance.now() + 10_000;
  while (!readdirSync(dir).some((n) => n.startsWith(`.${name}.plasmite.`)) && performance.now() < deadline) {
    // spin: the temp exists only for the few milliseconds of the allocation
  }
  proc.kill("SIGKILL");
  await proc.exited;
}

/** Makes the temps in `dir` look untouched for longer than the stale age (what waiting a minute would do). */
function age(dir: string): void {
  const old = (Date.now() - STALE_TEMP_AGE_MS - 60_000) / 1000;
  for (const n of hidden(dir)) utimesSync(join(dir, n), old, old);
}

type StaleTemp = { path: string; pool: string; pid: number; size_bytes: number; age_s: number; removed?: boolean; remove_with?: string };

describe("leftovers of interrupted creates", () => {
  test("SIGKILLed creates: reported by doctor --all with an rm command once stale, removed by pool list and by the next create", async () => {
    const dir = join(root, "killed");
    mkdirSync(dir);
    for (let i = 0; i < 4; i++) await killDuringCreate(dir, `k${i}`);
    const left = hidden(dir);
    expect(left.length).toBeGreaterThanOrEqual(3); // a kill can land after the link: then the pool was created
    for (const n of left) expect(n).toMatch(/^\.k\d\.plasmite\.\d+\.[0-9a-z]+\.tmp$/);

    // fresh leftovers are not touched: their creator could be in another PID namespace, still allocating
    expect(JSON.parse(pls(["--dir", dir, "doctor", "--all", "--json"]).out).stale_temps).toBeUndefined();
    expect(JSON.parse(pls(["--dir", dir, "pool", "list", "--json"]).out).stale_temps).toBeUndefined();
    expect(hidden(dir)).toEqual(left);

    age(dir);
    const doctor = pls(["--dir", dir, "doctor", "--all", "--json"]);
    expect(doctor.code).toBe(0); // no pool is harmed
    const reported = JSON.parse(doctor.out).stale_temps as StaleTemp[];
    expect(reported.map((t) => t.path)).toEqual(left.map((n) => join(dir, n)));
    for (const t of reported) {
      expect(t.pool).toMatch(/^k\d\.plasmite$/);
      // the file's real size (0 when the kill landed between its open and its allocation)
      expect(t.size_bytes).toBe(statSync(t.path).size);
      expect(t.age_s).toBeGreaterThanOrEqual(STALE_TEMP_AGE_MS / 1000);
      expect(t.remove_with).toBe(`rm -f -- '${t.path}'`);
    }
    expect(hidden(dir)).toEqual(left); // doctor only reports
    // the command it gives works
    expect(Bun.spawnSync(["sh", "-c", reported[0].remove_with!]).exitCode).toBe(0);
    expect(existsSync(reported[0].path)).toBe(false);

    const listed = JSON.parse(pls(["--dir", dir, "pool", "list", "--json"]).out).stale_temps as StaleTemp[];
    expect(listed.map((t) => [t.path, t.removed])).toEqual(reported.slice(1).map((t) => [t.path, true]));
    expect(hidden(dir)).toEqual([]);

    // the next create removes what interrupted ones left, before allocating its own
    await killDuringCreate(dir, "k8");
    await killDuringCreate(dir, "k9");
    expect(hidden(dir).length).toBeGreaterThanOrEqual(1);
    age(dir);
    expect(pls(["--dir", dir, "pool", "create", "fresh", "--size", "64K"]).code).toBe(0);
    expect(hidden(dir)).toEqual([]);
  }, 60_000);

  test("a temp whose creator is still running is never reported or removed, however old", () => {
    const dir = join(root, "alive");
    mkdirSync(dir);
    const sleeper = Bun.spawn(["sleep", "30"]);
    try {
      const name = `.busy.plasmite.${sleeper.pid}.abc123.tmp`;
      writeFileSync(join(dir, name), "x");
      writeFileSync(join(dir, ".notes.txt"), "not a temp");
      age(dir);
      expect(JSON.parse(pls(["--dir", dir, "doctor", "--all", "--json"]).out).stale_temps).toBeUndefined();
      expect(pls(["--dir", dir, "pool", "create", "p", "--size", "64K"]).code).toBe(0);
      expect(JSON.parse(pls(["--dir", dir, "pool", "list", "--json"]).out).stale_temps).toBeUndefined();
      expect(hidden(dir)).toEqual([name, ".notes.txt"].sort());
    } finally {
      sleeper.kill("SIGKILL");
    }
  });

  const canMount = process.getuid?.() === 0;
  test.skipIf(!canMount)(`a create that runs out of space (ENOSPC) leaves no file, hidden or not${canMount ? "" : " (SKIPPED: mounting a small tmpfs needs root)"}`, () => {
    const dir = join(root, "small-disk");
    mkdirSync(dir);
    const mounted = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dir]);
    expect(mounted.stderr.toString()).toBe("");
    expect(mounted.exitCode).toBe(0);
    try {
      const r = pls(["--dir", dir, "pool", "create", "big", "--size", "8M"]);
      expect(r.code).toBe(8);
      expect(errorOf(r).message).toContain("no space left on device");
      expect(readdirSync(dir)).toEqual([]);
      expect(pls(["--dir", dir, "pool", "create", "fits", "--size", "1M"]).code).toBe(0);
    } finally {
      Bun.spawnSync(["umount", dir]);
    }
  });
});
