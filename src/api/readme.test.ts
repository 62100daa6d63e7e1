// The README's library example runs as pasted (with "plasmite" pointing at this checkout).
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

test("README library example runs and prints what it promises", () => {
  const readme = readFileSync(join(import.meta.dir, "../../README.md"), "utf8");
  const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(block).toBeDefined();
  const dir = mkdtempSync(join(tmpdir(), "plasmite-readme-"));
  const code = block!
    .replace(`from "plasmite"`, `from ${JSON.stringify(join(import.meta.dir, "index.ts"))}`)
    .replace(`"/tmp/plasmite-demo"`, JSON.stringify(dir));
  const file = join(dir, "example.ts");
  writeFileSync(file, code);
  const run = Bun.spawnSync([process.execPath, file]);
  rmSync(dir, { recursive: true, force: true });
  expect(run.stderr.toString()).toBe("");
  const out = run.stdout.toString();
  expect(out).toContain("greeting");
  expect(out).toContain("1 {\n  from: \"alice\",\n  msg: \"hi\",\n}");
  expect(out).toContain("3 {\n  n: 2,\n}");
  expect(out).toContain('[\n  {\n    from: "alice",\n    msg: "hi",\n  }, {\n    n: 2,\n  }\n]'); // getMany([1, 3])
  expect(out.trim().endsWith("3")).toBe(true);
});
