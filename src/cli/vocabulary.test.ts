// Both vocabularies (issue #15): `feed`/`follow`/`fetch` (the Rust plasmite's names since v0.3) are `poke`/`peek`/
// `get` with every flag. A table runs each flag of each command under both names (real processes, identical pool
// copies) and compares what they print and their exit codes; the table must name every flag the commands
// define. Also: help, completion and errors name the command as typed (the quick path of a one-shot feed is in
// startup-budget.test.ts).
import { afterAll, describe, expect, test } from "bun:test";
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "../api/client.ts";
import { errorOf, pls, tempRoot } from "./test-harness.ts";
import poke from "./commands/poke.ts";
import peek from "./commands/peek.ts";
import get from "./commands/get.ts";

const root = tempRoot("vocabulary");
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

// One pool directory, copied for every run: both names see byte-identical pools (same seqs and times).
const template = join(root, "template");
{
  const client = new Client(template);
  const chat = client.createPool("chat", { sizeBytes: 64 * 1024 });
  chat.append({ a: 1, from: "alice" }, { tags: ["x"] });
  chat.append({ a: 2, from: "bob" }, { tags: ["x", "y"] });
  chat.append({ a: 3, from: "alice" });
  chat.close();
  writeFileSync(join(root, "records.jsonl"), '{"r":1}\n{"r":2}\n');
  writeFileSync(join(root, "token.txt"), "secret\n");
}
const freshCopy = () => {
  const dir = join(root, `run-${n++}`);
  cpSync(template, dir, { recursive: true });
  return dir;
};

const NAMES: Record<string, string> = { poke: "feed", peek: "follow", get: "fetch" };
const CANONICAL: Record<string, string> = { feed: "poke", follow: "peek", fetch: "get" };

/** What differs between two runs by design: times, and the command's own name in messages. */
function normalized(text: string, typed: string, canonical: string): string {
  return text
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "TIME")
    .replace(/run-\d+/g, "DIR")
    .replaceAll(`\`${typed}\``, `\`${canonical}\``)
    .replaceAll(`"cmd":"${typed}"`, `"cmd":"${canonical}"`)
    .replace(/pls (feed|follow|fetch) /g, (_, name: string) => `pls ${CANONICAL[name]} `);
}

interface Row {
  /** Words after the command name (POOL first). */
  args: string[];
  stdin?: string;
  code: number;
}

const file = join(root, "records.jsonl");
const tokenFile = join(root, "token.txt");
// remote-only flags on a local pool are refused (Usage) under either name
const remoteOnly = (pool: string[]): Row[] => [
  { args: [...pool, "--token", "t"], code: 2 },
  { args: [...pool, "--token-file", tokenFile], code: 2 },
  { args: [...pool, "--tls-ca", tokenFile], code: 2 },
  { args: [...pool, "--tls-skip-verify"], code: 2 },
];
const table: Record<string, Row[]> = {
  poke: [
    { args: ["chat", '{"m":1}', "--tag", "t1", "-t", "t2"], code: 0 },
    { args: ["fresh", "--create", "--create-size", "64K", '{"m":2}'], code: 0 },
    { args: ["chat", "--file", file], code: 0 },
    { args: ["chat", "-f", "-"], stdin: '{"m":3}\n', code: 0 },
    { args: ["chat", "--durability", "flush", '{"m":4}'], code: 0 },
    { args: ["chat", "--retry", "2", "--retry-delay", "10ms", '{"m":5}'], code: 0 },
    { args: ["chat", "--in", "jsonl", "--errors", "skip"], stdin: '{"m":6}\nnot json\n', code: 1 },
    { args: ["chat", "-i", "seq", "-e", "stop"], stdin: '\x1e{"m":7}\n', code: 0 },
    { args: ["chat", "--max-record-bytes", "8"], stdin: '{"long": "more than eight bytes"}\n', code: 2 },
    { args: ["chat", "--lock-timeout", "100", '{"m":8}'], code: 0 },
    { args: ["missing", '{"m":9}'], code: 3 },
    ...remoteOnly(["chat", "{}"]),
  ],
  peek: [
    { args: ["chat", "--tail", "2", "--jsonl", "--timeout", "1ms"], code: 124 },
    { args: ["chat", "-n", "1", "--format", "jsonl", "--data-only", "--timeout", "1ms"], code: 124 },
    { args: ["chat", "--format", "pretty", "--tail", "1", "--timeout", "1ms"], code: 124 },
    { args: ["chat", "--since", "3650d", "--one", "--jsonl"], code: 0 },
    { args: ["chat", "--tag", "x", "-t", "y", "--tail", "5", "--jsonl", "--timeout", "1ms"], code: 124 },
    { args: ["chat", "--where", ".data.a >= 2", "-w", '.data.from == "alice"', "-n", "5", "--jsonl", "--timeout", "1ms"], code: 124 },
    { args: ["chat", "--tail", "3", "--replay", "0", "--jsonl"], code: 0 },
    { args: ["chat", "--quiet-drops", "--tail", "1", "--jsonl", "--timeout", "1ms"], code: 124 },
    { args: ["chat", "--gap-policy", "error", "--tail", "1", "--jsonl", "--timeout", "1ms"], code: 124 },
    { args: ["chat", "--no-notify", "--tail", "1", "--jsonl", "--timeout", "1ms"], code: 124 },
    { args: ["fresh", "--create", "--jsonl", "--timeout", "1ms"], code: 124 },
    { args: ["chat", "--replay", "2"], code: 2 },
    ...remoteOnly(["chat", "--timeout", "1ms"]),
  ],
  get: [{ args: ["chat", "2"], code: 0 }, { args: ["chat", "9"], code: 3 }, ...remoteOnly(["chat", "1"])],
};

const defs: Record<string, Record<string, { type: string; alias?: string | string[] }>> = { poke: poke.args as never, peek: peek.args as never, get: get.args as never };

describe("feed/follow/fetch are poke/peek/get", () => {
  test("the table exercises every flag each command defines", () => {
    for (const [command, rows] of Object.entries(table)) {
      const used = new Set(rows.flatMap((r) => r.args.filter((a) => a.startsWith("-") && a !== "-")));
      for (const [name, def] of Object.entries(defs[command])) {
        if (def.type === "positional") continue;
        expect({ command, flag: name, used: used.has(`--${name}`) }).toEqual({ command, flag: name, used: true });
      }
    }
  });

  for (const [canonical, rows] of Object.entries(table)) {
    const typed = NAMES[canonical];
    test(`${typed} and ${canonical}: same output and exit code for every row`, () => {
      for (const row of rows) {
        const runs = [canonical, typed].map((name) => {
          const r = pls(["--dir", freshCopy(), name, ...row.args], { stdin: row.stdin });
          return { code: r.code, out: normalized(r.out, name, canonical), err: normalized(r.err, name, canonical) };
        });
        expect({ args: row.args, code: runs[0].code }).toEqual({ args: row.args, code: row.code });
        expect({ args: row.args, ...runs[1] }).toEqual({ args: row.args, ...runs[0] });
      }
    }, 60_000);
  }

  test("errors, hints and notices name the command as typed", () => {
    const dir = freshCopy();
    expect(errorOf(pls(["--dir", dir, "follow", "chat", "--tial", "5"]))).toMatchObject({ message: "unknown option '--tial' for `follow`", hint: "Did you mean --tail? See `pls follow --help`." });
    expect(errorOf(pls(["fetch"]))).toMatchObject({ message: "Missing required positional argument: POOL", hint: "Try `pls fetch --help`." });
    expect(errorOf(pls(["--dir", dir, "feed", "chat", "1", "2"])).message).toBe("unexpected argument '2' for `feed`");
    expect(errorOf(pls(["--dir", dir, "follow", "chat", "--replay", "1"])).hint).toBe("Example: pls follow POOL --since 1h --replay 10");
    const skipped = pls(["--dir", dir, "feed", "chat", "--errors", "skip"], { stdin: "nope\n" });
    expect(JSON.parse(skipped.err.split("\n")[0]).notice).toMatchObject({ kind: "ingest_skip", cmd: "feed" });
    expect(errorOf(pls(["--dir", dir, "feed", "chat"], { stdin: "" })).hint).toContain("pls feed chat");
  });

  test("help lists both names; each command's help is written with the name typed", () => {
    const main = pls(["--help"]).out;
    for (const name of ["poke", "feed", "peek", "follow", "get", "fetch", "tap", "duplex"]) expect(main).toMatch(new RegExp(`^\\s+${name}\\s`, "m"));
    expect(main).toContain("poke (or feed)");
    const feed = pls(["feed", "--help"]);
    expect(feed.code).toBe(0);
    expect(feed.out).toContain("(also: poke)");
    expect(feed.out).toContain("pls feed chat --create");
    expect(feed.out).not.toContain("pls poke ");
    expect(feed.out).toMatch(/USAGE pls feed /);
    expect(pls(["help", "follow"]).out).toContain("pls follow ci --where");
    expect(pls(["poke", "--help"]).out).toContain("(also: feed)");
    expect(pls(["fetch", "--help"]).out).toContain("--tls-ca");
  });

  test("completion offers both names with the same flags", () => {
    for (const shell of ["bash", "zsh", "fish"]) {
      const script = pls(["completion", shell]).out;
      for (const name of ["feed", "follow", "fetch", "tap", "duplex"]) expect(script).toContain(name);
    }
    const bash = pls(["completion", "bash"]).out;
    const wordsOf = (path: string) => bash.match(new RegExp(`"${path}"\\) words="([^"]*)"`))![1].split(" ").sort();
    expect(wordsOf("feed")).toEqual(wordsOf("poke"));
    expect(wordsOf("follow")).toEqual(wordsOf("peek"));
    expect(wordsOf("fetch")).toEqual(wordsOf("get"));
  });

});

describe("remote-only flags", () => {
  test("on a local pool they are a Usage error for every command that takes them, nothing written", () => {
    const dir = freshCopy();
    const before = readFileSync(join(dir, "chat.plasmite"));
    for (const args of [
      ["poke", "chat", "--token", "t", "{}"],
      ["feed", "chat", "--tls-skip-verify", "{}"],
      ["poke", "chat", "--token-file", tokenFile],
      ["peek", "chat", "--tls-ca", tokenFile],
      ["get", "chat", "1", "--token", "t"],
      ["tap", "chat", "--token", "t", "--", "true"],
      ["duplex", "chat", "--token", "t"],
      ["pool", "info", "chat", "--token", "t"],
      ["pool", "create", "other", "--tls-skip-verify"],
      ["pool", "delete", "chat", "--token", "t"],
    ]) {
      const r = pls(["--dir", dir, ...args], { stdin: args[0] === "poke" ? '{"x":1}\n' : "" });
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(errorOf(r).message).toMatch(/^--(token|token-file|tls-ca|tls-skip-verify) applies to remote pools only, and '(chat|other)' is a local pool$/);
    }
    expect(readFileSync(join(dir, "chat.plasmite")).equals(before)).toBe(true);
  });
});
