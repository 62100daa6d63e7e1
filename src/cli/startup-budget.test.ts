// The start-up budget, in one place: what a one-shot command may load. Every `pls poke` in a shell loop pays
// for each module it loads, so the heavy parts (citty, jq, the server, certificates, the HTTP client, the NATS
// bridge, MCP) are loaded only by the commands that use them. This test runs real commands with a preload that
// lists every module loaded (Bun's require.cache holds ES modules too) and fails when a budget is broken.
// Timing is not asserted here (these machines are noisy): `bun scripts/bench-startup.ts` prints the ratio to a
// compiled one-line program (good enough at <= 2x).
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..", "..");
const MAIN = join(ROOT, "src", "cli", "main.ts");
const work = mkdtempSync(join(tmpdir(), "plasmite-budget-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const PRELOAD = join(work, "list-modules.ts");
writeFileSync(PRELOAD, `process.on("exit", () => require("node:fs").writeFileSync(process.env.PLASMITE_MODULE_LIST, Object.keys(require.cache).join("\\n")));\n`);

/** The modules a command loads (paths relative to the repository). */
function modulesLoadedBy(args: string[], stdin?: string): string[] {
  const list = join(work, `modules-${Math.random().toString(36).slice(2)}.txt`);
  const run = Bun.spawnSync([process.execPath, "--preload", PRELOAD, MAIN, "--dir", join(work, "pools"), ...args], {
    env: { ...process.env, PLASMITE_MODULE_LIST: list, NO_COLOR: "1" },
    stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin),
  });
  expect(run.stderr.toString()).toBe("");
  expect([0, 124]).toContain(run.exitCode ?? -1); // 124: peek --timeout ended with nothing more to print
  return readFileSync(list, "utf8")
    .split("\n")
    .filter((p) => p.startsWith(ROOT))
    .map((p) => p.slice(ROOT.length + 1));
}

/** What no one-shot local command may load: each entry names a part and the paths that make it up. */
const HEAVY: Record<string, RegExp> = {
  citty: /node_modules\/citty\//,
  jq: /node_modules\/jq-web\/|^src\/filter\/jq(-worker)?\.ts$/,
  server: /node_modules\/elysia\/|^src\/serve\//,
  certificates: /node_modules\/@peculiar\//,
  "HTTP client": /^src\/remote\//,
  "NATS bridge": /node_modules\/@nats-io\/|^src\/bridge\//,
  MCP: /node_modules\/@modelcontextprotocol\/|^src\/mcp\//,
};

/** Modules among `loaded` that import node:fs statically (it costs ~1 ms; lazy-node.ts loads it on demand). */
function staticFsImporters(loaded: string[]): string[] {
  return loaded.filter((p) => p.endsWith(".ts") && /^import [^\n]*from "node:fs"/m.test(readFileSync(join(ROOT, p), "utf8")));
}

function broken(loaded: string[]): string[] {
  const out: string[] = [];
  for (const [part, pattern] of Object.entries(HEAVY)) {
    const hits = loaded.filter((p) => pattern.test(p));
    if (hits.length > 0) out.push(`${part}: ${hits.join(", ")}`);
  }
  for (const p of staticFsImporters(loaded)) out.push(`node:fs (static import): ${p}`);
  return out;
}

test("one-shot poke, get, a peek with a fast --where, and --version load none of the heavy parts", () => {
  const poke = modulesLoadedBy(["poke", "budget", "--create", '{"hello": "world"}']);
  expect(poke.some((p) => p === "src/pool/pool.ts")).toBe(true); // the list is real: the engine is in it
  expect(broken(poke)).toEqual([]);
  expect(broken(modulesLoadedBy(["poke", "budget", "--tag", "t", '{"n": 2}']))).toEqual([]);
  expect(broken(modulesLoadedBy(["get", "budget", "1"]))).toEqual([]);
  // the v0.3 names are the same commands on the same path
  expect(broken(modulesLoadedBy(["feed", "budget", "--tag", "t", '{"n": 3}']))).toEqual([]);
  expect(broken(modulesLoadedBy(["fetch", "budget", "1"]))).toEqual([]);
  expect(broken(modulesLoadedBy(["follow", "budget", "--tail", "1", "--timeout", "10ms", "--where", ".data.n == 2"]))).toEqual([]);
  expect(broken(modulesLoadedBy(["peek", "budget", "--tail", "1", "--timeout", "10ms", "--where", ".data.n == 2"]))).toEqual([]); // answered without jq
  expect(broken(modulesLoadedBy(["--version"]))).toEqual([]);
}, 60_000);

test("the budget can fail: help loads citty (but no MCP or server code), a jq expression loads jq", () => {
  expect(broken(modulesLoadedBy(["poke", "--help"])).join("\n")).toContain("citty");
  // help lists every command (mcp and serve included) without loading their code
  const help = broken(modulesLoadedBy(["--help"])).join("\n");
  expect(help).toContain("citty");
  expect(help).not.toContain("MCP");
  expect(help).not.toContain("server");
  expect(broken(modulesLoadedBy(["mcp", "--help"])).join("\n")).not.toContain("MCP");
  expect(broken(modulesLoadedBy(["peek", "budget", "--tail", "1", "--timeout", "10ms", "--where", ".data | has(\"n\")"])).join("\n")).toContain("jq");
}, 60_000);
