// The shared conformance manifests pass on both targets (library and CLI), run through scripts/conformance.ts.
// Skipped only when ../shared/conformance is absent (a checkout without the shared tree beside it).
import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

const repoRoot = resolve(import.meta.dir, "..");
const manifests = resolve(repoRoot, "../shared/conformance");
const present = existsSync(manifests);
if (!present) console.log(`conformance.test: SKIPPED, no manifests at ${manifests} (clone the repo next to shared/)`);

test.skipIf(!present)("conformance manifests pass on library and cli", async () => {
  const proc = Bun.spawn([process.execPath, join("scripts", "conformance.ts")], { cwd: repoRoot, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  // On failure the runner's own lines (FAIL ... expected vs got) are the useful message.
  if (code !== 0) console.log(stdout + stderr);
  expect(code).toBe(0);
  expect(stdout.trim().split("\n").at(-1)).toMatch(/^conformance: [1-9]\d* passed, 0 failed$/);
}, 20_000);
