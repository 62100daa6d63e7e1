// The quick parser must give a command exactly what citty would, or step aside (null). Checked against citty
// itself over every command's real argument definitions and a corpus of command lines.
import { describe, expect, test } from "bun:test";
import { parseArgs } from "citty";
import { quickParse } from "./quick-args.ts";
import poke from "./commands/poke.ts";
import peek from "./commands/peek.ts";
import get from "./commands/get.ts";
import tap from "./commands/tap.ts";
import duplex from "./commands/duplex.ts";
import doctor from "./commands/doctor.ts";
import pool from "./commands/pool.ts";

type Defs = Record<string, { type: string; alias?: string | string[]; default?: unknown; required?: boolean }>;

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

describe("quickParse", () => {
  test("agrees with citty on every command and command line it accepts", async () => {
    let quick = 0;
    for (const [name, defs] of commands) {
      for (const argv of corpus) {
        const known = new Set(Object.keys(defs).flatMap((k) => [`--${k}`, ...[defs[k].alias ?? []].flat().map((a) => (a.length === 1 ? `-${a}` : `--${a}`))]));
        // main.ts rejects unknown flags before either parser runs
        if (argv.some((a) => a.startsWith("-") && a !== "-" && a !== "--" && !/^-\d/.test(a) && !a.startsWith("--no-") && !known.has(a.split("=")[0]))) continue;
        const q = quickParse(argv, defs);
        if (q === null) continue;
        quick++;
        const c = parseArgs(argv, defs as never) as Record<string, unknown>;
        for (const key of Object.keys(defs)) expect({ name, argv, key, value: q[key] }).toEqual({ name, argv, key, value: c[key] });
        expect({ name, argv, _: q._ }).toEqual({ name, argv, _: c._ });
      }
    }
    expect(quick).toBeGreaterThan(40);
  });

  test("steps aside for the shapes it does not handle", () => {
    const defs = poke.args as Defs;
    for (const argv of [["chat", "--", "{}"], ["chat", "--no-create", "{}"], ["chat", "--tag"], ["chat", "--tag", "-x", "{}"], ["chat", "--create=true"], ["chat", "-5"], [], ["chat", "--bogus"]]) {
      expect({ argv, parsed: quickParse(argv, defs) }).toEqual({ argv, parsed: null });
    }
  });

  test("handles the everyday shapes itself", () => {
    expect(quickParse(["chat", "--tag", "a", "--tag=b", '{"x":1}', "--create"], poke.args as Defs)).toEqual({ _: ["chat", '{"x":1}'], pool: "chat", data: '{"x":1}', tag: "b", create: true });
    expect(quickParse(["chat", "7"], get.args as Defs)).toMatchObject({ pool: "chat", seq: "7" });
  });
});
