// The reference conformance manifests pass on both targets (library and CLI), run through scripts/conformance.ts.
// Uses ../shared/conformance when the shared tree is beside the repo, else the copy in spec/conformance/v0.
import { expect, test } from "bun:test";
import { join, resolve } from "node:path";

const repoRoot = resolve(import.meta.dir, "..");

test("conformance manifests pass on library and cli", async () => {
  const proc = Bun.spawn([process.execPath, join("scripts", "conformance.ts")], { cwd: repoRoot, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  // On failure the runner's own lines (FAIL ... expected vs got) are the useful message.
  if (code !== 0) console.log(stdout + stderr);
  expect(code).toBe(0);
  expect(stdout.trim().split("\n").at(-1)).toBe("conformance: 10 passed, 0 failed");
}, 30_000);
