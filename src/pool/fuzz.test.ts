// Runs the pool-file fuzzer (scripts/fuzz-pool.ts --quick, fixed seed) as a child: every mutated pool must be
// reported Corrupt/Usage or read back byte-identical, with no crash, hang or foreign exception.
import { expect, test } from "bun:test";
import { join } from "node:path";

const root = join(import.meta.dir, "..", "..");
const SEED = "20260101";

test("fuzzed pool files: Corrupt or the original bytes, never a crash, hang or wrong data", () => {
  const run = Bun.spawnSync([process.execPath, "scripts/fuzz-pool.ts", "--quick", "--seed", SEED], {
    cwd: root,
    stdout: "pipe",
    stderr: "pipe",
    timeout: 25_000,
  });
  const out = run.stdout.toString();
  const last = out.trim().split("\n").pop() ?? "";
  if (run.exitCode !== 0) console.error(out + run.stderr.toString());
  expect(last).toMatch(/^fuzz: 3000 cases, 0 failures, \d+ corrupt, \d+ opened-and-read, /);
  expect(run.exitCode).toBe(0);
}, 30_000);
