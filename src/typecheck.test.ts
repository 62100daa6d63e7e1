// The whole project type-checks under strict TypeScript (tsconfig.json); a type error fails the suite.
import { expect, test } from "bun:test";
import { join } from "node:path";

test("tsc --noEmit reports no errors", () => {
  const root = join(import.meta.dir, "..");
  const tsc = Bun.spawnSync([process.execPath, join(root, "node_modules", "typescript", "bin", "tsc"), "-p", root], { cwd: root });
  expect(tsc.stdout.toString() + tsc.stderr.toString()).toBe("");
  expect(tsc.exitCode).toBe(0);
}, 120_000);
