// The package under Node.js: `import { Client } from "plasmite"` resolves (by export condition) to the built
// JavaScript, remote pools work through Client.connect against a real `pls serve`, and opening a local pool
// says it needs Bun. Under Bun the same import resolves to the TypeScript.
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServe } from "../cli/test-harness.ts";

const ROOT = join(import.meta.dir, "..", "..");
const work = mkdtempSync(join(tmpdir(), "plasmite-node-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A package folder shaped as npm installs it (package.json, src, the built dist/node) and a project using it. */
function installLikeNpm(): string {
  const pkg = join(work, "pkg");
  mkdirSync(pkg);
  writeFileSync(join(pkg, "package.json"), readFileSync(join(ROOT, "package.json")));
  symlinkSync(join(ROOT, "src"), join(pkg, "src"));
  symlinkSync(join(ROOT, "native"), join(pkg, "native"));
  const build = Bun.spawnSync([process.execPath, join(ROOT, "scripts", "build-node.ts"), join(pkg, "dist", "node")]);
  expect(build.stderr.toString()).toBe("");
  expect(build.exitCode).toBe(0);
  const project = join(work, "project");
  mkdirSync(join(project, "node_modules"), { recursive: true });
  symlinkSync(pkg, join(project, "node_modules", "plasmite"));
  writeFileSync(join(project, "package.json"), JSON.stringify({ type: "module" }));
  return project;
}

const APP = `
import { Client, PlasmiteError } from "plasmite";
const out = {};
const remote = Client.connect(process.argv[2]);
const pool = await remote.createPool("from-node");
const a = await pool.append({ runtime: "node", n: 1 }, { tags: ["t"] });
await pool.append({ n: 2 });
out.first = await pool.get(a.seq);
out.tailed = [];
for await (const m of pool.tail({ since: 1, max: 2 })) out.tailed.push(m.data);
try {
  new Client(process.argv[3]).createPool("local");
  out.local = "opened";
} catch (err) {
  out.local = { isPlasmiteError: err instanceof PlasmiteError, kind: err.kind, message: err.message, hint: err.hint };
}
console.log(JSON.stringify(out));
`;

test("under Node.js: Client.connect works against pls serve, a local pool says it needs Bun", async () => {
  const project = installLikeNpm();
  writeFileSync(join(project, "app.js"), APP);
  const poolDir = join(work, "pools");
  mkdirSync(poolDir);
  const server = await startServe(poolDir);
  try {
    const run = Bun.spawnSync(["node", join(project, "app.js"), server.url, join(work, "node-local")], { cwd: project });
    expect(run.stderr.toString()).toBe("");
    const out = JSON.parse(run.stdout.toString());
    expect(out.first.data).toEqual({ runtime: "node", n: 1 });
    expect(out.first.meta.tags).toEqual(["t"]);
    expect(out.tailed).toEqual([{ runtime: "node", n: 1 }, { n: 2 }]);
    expect(out.local.isPlasmiteError).toBe(true);
    expect(out.local.kind).toBe("Usage");
    expect(out.local.message).toContain("local pools need Bun");
    expect(out.local.hint).toContain("Client.connect");
  } finally {
    server.proc.kill();
    await server.proc.exited;
  }
});

test("under Bun the same import resolves to the TypeScript and opens local pools", () => {
  const project = join(work, "project");
  writeFileSync(join(project, "bun-app.js"), `import { Client } from "plasmite";\nconst c = new Client(process.argv[2]);\nconst p = c.createPool("local");\nconsole.log(p.append({ ok: true }).seq);\n`);
  const run = Bun.spawnSync([process.execPath, join(project, "bun-app.js"), join(work, "bun-local")], { cwd: project });
  expect(run.stderr.toString()).toBe("");
  expect(run.stdout.toString().trim()).toBe("1");
});
