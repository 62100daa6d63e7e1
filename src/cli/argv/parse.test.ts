// parse() against the shared case table (cases.ts) with each parser alone and both in their real order, and
// the quick parser against citty itself over every command's real definitions and a corpus of command lines:
// it must give a command exactly what citty would, or refuse (NeedsFullParser).
import { describe, expect, test } from "bun:test";
import { parseArgs } from "citty";
import { PlasmiteError } from "../../errors.ts";
import { root } from "../commands/index.ts";
import { ARGV_CASES, type ArgvCase } from "./cases.ts";
import { flagTable, type ArgDefs } from "./define.ts";
import { PARSERS, parse, type CommandLine } from "./parse.ts";
import { NeedsFullParser, type ArgParser } from "./parser.ts";
import { fullParser } from "./full.ts";
import { quickParse, quickParser } from "./quick.ts";
import poke from "../commands/poke.ts";
import peek from "../commands/peek.ts";
import get from "../commands/get.ts";
import tap from "../commands/tap.ts";
import duplex from "../commands/duplex.ts";
import doctor from "../commands/doctor.ts";
import pool from "../commands/pool.ts";

/** What parse() made of a case's words, in the case's terms (or the refusal). */
async function outcome(c: ArgvCase, parsers: readonly ArgParser[]): Promise<Partial<ArgvCase> | NeedsFullParser> {
  let line: CommandLine;
  try {
    line = await parse(c.argv, root, parsers);
  } catch (err) {
    if (err instanceof NeedsFullParser) return err;
    if (!(err instanceof PlasmiteError) || err.kind !== "Usage") throw err;
    return { argv: c.argv, error: err.message };
  }
  if (line.kind === "print") return { argv: c.argv, print: { includes: line.text.includes(c.print?.includes ?? "\0") ? c.print!.includes : line.text, exitCode: line.exitCode } };
  const args: Record<string, unknown> = {};
  for (const key of Object.keys(c.run?.args ?? {})) args[key] = line.args[key];
  return { argv: c.argv, run: { path: line.path.join(" "), args } };
}

const expected = (c: ArgvCase): Partial<ArgvCase> => ({ argv: c.argv, ...(c.run ? { run: c.run } : c.print ? { print: c.print } : { error: c.error }) });

describe("parse() over the shared case table", () => {
  test("with citty alone, every case", async () => {
    for (const c of ARGV_CASES) expect(await outcome(c, [fullParser])).toEqual(expected(c));
  });

  test("with the quick parser alone, every case it answers (and those marked quick)", async () => {
    let answered = 0;
    for (const c of ARGV_CASES) {
      const got = await outcome(c, [quickParser]);
      if (got instanceof NeedsFullParser) {
        expect({ argv: c.argv, refused: got.reason, quick: c.quick ?? false }).toEqual({ argv: c.argv, refused: got.reason, quick: false });
        continue;
      }
      answered++;
      expect(got).toEqual(expected(c));
    }
    expect(answered).toBeGreaterThan(20);
  });

  test("with both in their real order, every case", async () => {
    for (const c of ARGV_CASES) expect(await outcome(c, PARSERS)).toEqual(expected(c));
  });
});

type Defs = ArgDefs;
const poolSubs = pool.subCommands as Record<string, { args: Defs }>;
const commands: Array<[string, Defs]> = [
  ["poke", poke.args as Defs],
  ["peek", peek.args as Defs],
  ["get", get.args as Defs],
  ["tap", tap.args as Defs],
  ["duplex", duplex.args as Defs],
  ["doctor", doctor.args as Defs],
  ...Object.entries(poolSubs).map(([n, c]) => [`pool ${n}`, c.args] as [string, Defs]),
];

const corpus: string[][] = [
  ["chat", '{"from": "alice"}'],
  ["chat", '{"a":1}', "--create"],
  ["chat", "--create", '{"a":1}'],
  ["incidents", "--tag", "sev1", "--tag", "billing", '{"msg": "x"}'],
  ["incidents", "-t", "sev1", '{"msg": "x"}'],
  ["chat", "--tag=a", "--durability=flush", "{}"],
  ["chat", "--file", "events.jsonl", "--errors", "skip"],
  ["chat", "-f", "-", "-i", "jsonl"],
  ["chat", "--create", "--create-size", "8M", "{}"],
  ["chat", "--retry", "3", "--retry-delay", "100ms", "{}"],
  ["chat", "1"],
  ["chat", "42", "--token", "abc"],
  ["ci", "--where", ".data.status == \"green\"", "--one"],
  ["incidents", "--since", "1h", "--replay", "10"],
  ["chat", "--tail", "20", "--jsonl"],
  ["chat", "--timeout", "5s", "--data-only", "--format", "pretty"],
  ["chat", "--all"],
  ["room", "--me", "alice", "--echo-self", "-n", "20"],
  ["build", "--create", "-q", "--tag", "ci"],
  ["big", "--size", "8M", "--index-capacity", "4096"],
  ["a", "b", "c"],
  ["big", "--json"],
  // shapes that must go to citty
  ["chat", "--", "{}"],
  ["chat", "--no-create", "{}"],
  ["chat", "--tag"],
  ["chat", "--tag", "-x", "{}"],
  ["chat", "--create=true", "{}"],
  ["chat", "-5"],
  [],
];

const quickOrNull = (argv: string[], defs: Defs) => {
  try {
    return quickParse(argv, { defs, flags: flagTable(defs), path: [] });
  } catch (err) {
    if (err instanceof NeedsFullParser) return null;
    throw err;
  }
};

describe("the quick parser against citty's parseArgs", () => {
  test("agrees with citty on every command and command line it accepts", () => {
    let quick = 0;
    for (const [name, defs] of commands) {
      const known = flagTable(defs);
      for (const argv of corpus) {
        // parse() rejects unknown flags before either parser runs
        if (argv.some((a) => a.startsWith("-") && a !== "-" && a !== "--" && !/^-\d/.test(a) && !a.startsWith("--no-") && !known.has(a.split("=")[0]))) continue;
        const q = quickOrNull(argv, defs);
        if (q === null) continue;
        quick++;
        const c = parseArgs(argv, defs as never) as Record<string, unknown>;
        for (const key of Object.keys(defs)) expect({ name, argv, key, value: q[key] }).toEqual({ name, argv, key, value: c[key] });
        expect({ name, argv, _: q._ }).toEqual({ name, argv, _: c._ as string[] });
      }
    }
    expect(quick).toBeGreaterThan(40);
  });

  test("refuses, by name, the shapes it does not handle", () => {
    const defs = poke.args as Defs;
    for (const argv of [["chat", "--", "{}"], ["chat", "--no-create", "{}"], ["chat", "--tag"], ["chat", "--tag", "-x", "{}"], ["chat", "--create=true"], ["chat", "-5"], [], ["chat", "--bogus"]]) {
      expect(() => quickParse(argv, { defs, flags: flagTable(defs), path: ["poke"] })).toThrow(NeedsFullParser);
    }
  });

  test("handles the everyday shapes itself", () => {
    const q = (argv: string[], defs: Defs) => quickParse(argv, { defs, flags: flagTable(defs), path: [] });
    expect(q(["chat", "--tag", "a", "--tag=b", '{"x":1}', "--create"], poke.args as Defs)).toEqual({ _: ["chat", '{"x":1}'], pool: "chat", data: '{"x":1}', tag: "b", create: true });
    expect(q(["chat", "7"], get.args as Defs)).toMatchObject({ pool: "chat", seq: "7" });
  });
});
