// The CLI as users run it: real `bun src/cli/main.ts` processes, checking stdout, stderr and exit codes.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = mkdtempSync(join(tmpdir(), "plasmite-cli-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const main = join(import.meta.dir, "main.ts");
let n = 0;
const freshDir = () => join(root, `d${n++}`);

function pls(args: string[], opts: { env?: Record<string, string>; stdin?: string } = {}) {
  const r = Bun.spawnSync([process.execPath, main, ...args], {
    env: { ...process.env, NO_COLOR: "1", ...opts.env },
    stdin: opts.stdin === undefined ? "ignore" : new TextEncoder().encode(opts.stdin),
  });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

function errorOf(r: { err: string }) {
  return JSON.parse(r.err.trim()).error;
}

describe("pls (engine commands)", () => {
  test("poke --create then get, with --dir before the subcommand", () => {
    const dir = freshDir();
    const poke = pls(["--dir", dir, "poke", "chat", "--create", '{"from": "alice", "msg": "hello bob"}', "--tag", "a", "-t", "b", "--tag=c"]);
    expect(poke.code).toBe(0);
    const receipt = JSON.parse(poke.out);
    expect(receipt.seq).toBe(1);
    expect(receipt.meta).toEqual({ tags: ["a", "b", "c"] });
    expect(receipt.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
    const get = pls(["--dir", dir, "get", "chat", "1"]);
    expect(get.code).toBe(0);
    expect(JSON.parse(get.out)).toEqual({ seq: 1, time: receipt.time, meta: { tags: ["a", "b", "c"] }, data: { from: "alice", msg: "hello bob" } });
    // --dir after the subcommand works too
    expect(JSON.parse(pls(["get", "chat", "1", "--dir", dir]).out).seq).toBe(1);
  });

  test("pool create with --size, then pokes fill it and wrap", () => {
    const dir = freshDir();
    const create = pls(["--dir", dir, "pool", "create", "small", "--size", "16K"]);
    expect(create.code).toBe(0);
    expect(JSON.parse(create.out).file_size).toBe(16384);
    for (let i = 0; i < 3; i++) expect(pls(["--dir", dir, "poke", "small", JSON.stringify({ i, pad: "x".repeat(3000) })]).code).toBe(0);
    const info = JSON.parse(pls(["--dir", dir, "pool", "info", "small"]).out);
    expect(info.bounds.newest).toBe(3);
    expect(info.bounds.oldest).toBeGreaterThan(1);
  });

  test("error kinds and exit codes", () => {
    const dir = freshDir();
    const missing = pls(["--dir", dir, "get", "nope", "1"]);
    expect(missing.code).toBe(3);
    expect(errorOf(missing).kind).toBe("NotFound");
    expect(errorOf(missing).path).toBe(join(dir, "nope.plasmite"));
    const pokeMissing = pls(["--dir", dir, "poke", "nope", "{}"]);
    expect(pokeMissing.code).toBe(3);
    expect(errorOf(pokeMissing).hint).toContain("pls pool create nope");

    expect(pls(["--dir", dir, "pool", "create", "p"]).code).toBe(0);
    const again = pls(["--dir", dir, "pool", "create", "p"]);
    expect(again.code).toBe(4);
    expect(errorOf(again).kind).toBe("AlreadyExists");

    const notFoundSeq = pls(["--dir", dir, "get", "p", "5"]);
    expect(notFoundSeq.code).toBe(3);
    expect(errorOf(notFoundSeq).seq).toBe(5);

    for (const args of [["get", "p", "zero"], ["get", "p", "0"], ["pool", "create", "q", "--size", "lots"], ["pool", "create", "q", "--size", "10"], ["poke", "p", "--bogus", "{}"], ["frobnicate"], ["pool"]]) {
      const r = pls(["--dir", dir, ...args]);
      expect(r.code).toBe(2);
      expect(errorOf(r).kind).toBe("Usage");
      expect(r.out).toBe("");
    }
  });

  test("a rejected poke leaves the pool byte-for-byte unchanged", () => {
    const dir = freshDir();
    pls(["--dir", dir, "poke", "p", "--create", "--create-size", "64K", '{"ok": true}']);
    const before = readFileSync(join(dir, "p.plasmite"));
    for (const bad of ["{not json", "[1,2]", '"text"', "42", "null", JSON.stringify({ big: "x".repeat(100_000) })]) {
      const r = pls(["--dir", dir, "poke", "p", bad]);
      expect(r.code).toBe(2);
      expect(errorOf(r).kind).toBe("Usage");
    }
    expect(readFileSync(join(dir, "p.plasmite"))).toEqual(before);
  });

  test("a corrupt pool file is reported as Corrupt (exit 7) with its path", async () => {
    const dir = freshDir();
    pls(["--dir", dir, "pool", "create", "c"]);
    await Bun.write(join(dir, "c.plasmite"), "NOPE");
    const r = pls(["--dir", dir, "get", "c", "1"]);
    expect(r.code).toBe(7);
    expect(errorOf(r)).toMatchObject({ kind: "Corrupt", path: join(dir, "c.plasmite") });
  });

  test("version, help and list", () => {
    expect(pls(["--version"]).out.trim()).toBe("pls 0.1.0");
    expect(JSON.parse(pls(["version", "--json"]).out).native).toBe("shim");
    const help = pls(["poke", "--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toContain("pls poke chat --create");
    const dir = freshDir();
    pls(["--dir", dir, "pool", "create", "b", "a"]);
    expect(JSON.parse(pls(["--dir", dir, "pool", "list"]).out).pools.map((p: { name: string }) => p.name)).toEqual(["a", "b"]);
    const del = pls(["--dir", dir, "pool", "delete", "a", "zzz"]);
    expect(del.code).toBe(3);
    expect(JSON.parse(del.out.trim()).deleted).toBe("a");
    expect(errorOf(del).kind).toBe("NotFound");
  });
});
