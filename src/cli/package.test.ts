// The npm package as users get it: `npm pack`, install the tarball into an empty project from the local npm
// cache (offline), then `npx pls …` with only Node on PATH and `bunx plasmite --version`.
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const root = join(import.meta.dir, "..", "..");
const work = mkdtempSync(join(tmpdir(), "plasmite-package-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function sh(cmd: string[], cwd: string, env: Record<string, string | undefined> = process.env) {
  const r = Bun.spawnSync(cmd, { cwd, env, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

test("npm pack → install offline into an empty project → npx pls and bunx plasmite work", () => {
  const node = Bun.which("node");
  expect(node).not.toBeNull();
  const pack = sh(["npm", "pack", "--silent", "--pack-destination", work], root);
  expect(pack.code).toBe(0);
  const tarball = join(work, readdirSync(work).find((f) => f.endsWith(".tgz"))!);
  const project = join(work, "project");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "uses-plasmite", private: true }));
  // Only Node and npm on PATH (no bun): the package brings Bun itself through its `bun` dependency.
  const env = { PATH: `${dirname(node!)}:/usr/bin:/bin`, HOME: process.env.HOME, npm_config_cache: process.env.npm_config_cache };
  const install = sh(["npm", "install", "--offline", "--no-audit", "--no-fund", tarball], project, env);
  expect(install.err.replace(/npm warn.*\n?/gi, "")).toBe("");
  expect(install.code).toBe(0);
  expect(sh(["sh", "-c", "command -v bun || true"], project, env).out.trim()).toBe("");
  const poke = sh(["npx", "--no-install", "pls", "--dir", "pools", "poke", "demo", "--create", '{"from":"npx"}'], project, env);
  expect(poke.err).toBe("");
  expect(poke.code).toBe(0);
  expect(JSON.parse(poke.out).seq).toBe(1);
  const get = sh(["npx", "--no-install", "plasmite", "--dir", "pools", "get", "demo", "1"], project, env);
  expect(JSON.parse(get.out).data).toEqual({ from: "npx" });
  const bunx = sh([join(project, "node_modules", ".bin", "bunx"), "plasmite", "--version"], project, env);
  expect(bunx.out.trim()).toBe("plasmite 0.1.0");
  // the library entry point
  const lib = sh([join(project, "node_modules", ".bin", "bun"), "-e", `import { Client } from "plasmite"; console.log(new Client("pools").openPool("demo").get(1).data.from)`], project, env);
  expect(lib.out.trim()).toBe("npx");
}, 120_000);
