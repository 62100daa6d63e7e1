// Inputs that used to fail as Internal or be silently reinterpreted, as real `pls` processes (issue #12): a
// directory on stdin or as --file, a missing --file, impossible --since dates and times, --replay values that
// are not plain decimal speeds in range. Each fails with its kind and names the value; nothing is created.
import { afterAll, expect, test } from "bun:test";
import { closeSync, existsSync, openSync, rmSync } from "node:fs";
import { join } from "node:path";
import { BUN, MAIN, pls, tempRoot } from "./test-harness.ts";

const dir = tempRoot("input-errors");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(r: { out: string; err: string }) {
  return JSON.parse(r.err.trim().split("\n").at(-1)!).error as { kind: string; message: string; path?: string };
}

test("a directory on stdin is a Usage error (exit 2), with or without --file -", () => {
  for (const extra of [[], ["--file", "-"]]) {
    const fd = openSync(dir, "r");
    try {
      const r = Bun.spawnSync([BUN, MAIN, "--dir", dir, "poke", "from-dir", "--create", ...extra], { stdin: fd, env: { ...process.env, NO_COLOR: "1" } });
      const e = errorOf({ out: r.stdout.toString(), err: r.stderr.toString() });
      expect(r.exitCode).toBe(2);
      expect(e.kind).toBe("Usage");
      expect(e.message).toContain("stdin is a directory");
    } finally {
      closeSync(fd);
    }
  }
  expect(existsSync(join(dir, "from-dir.plasmite"))).toBe(false);
});

test("--file: missing is NotFound (exit 3) naming the path, a directory is Usage (exit 2); no pool is created", () => {
  const missing = join(dir, "no-such", "events.jsonl");
  const r = pls(["--dir", dir, "poke", "created-not", "--create", "--file", missing]);
  expect(r.code).toBe(3);
  expect(errorOf(r)).toMatchObject({ kind: "NotFound", path: missing });
  expect(errorOf(r).message).toContain(missing);
  const d = pls(["--dir", dir, "poke", "created-not", "--create", "--file", dir]);
  expect(d.code).toBe(2);
  expect(errorOf(d)).toMatchObject({ kind: "Usage", path: dir });
  expect(existsSync(join(dir, "created-not.plasmite"))).toBe(false);
});

test("--since refuses dates and times that are not on the calendar (no rolling over), naming the value", () => {
  expect(pls(["--dir", dir, "poke", "times", "--create", '{"i":1}']).code).toBe(0);
  const refused = [
    ["2026-02-30T00:00:00Z", "day 30"],
    ["2026-02-29T00:00:00Z", "day 29"],
    ["2026-01-01T24:00:00Z", "hour 24"],
    ["2026-13-01T00:00:00Z", "month 13"],
    ["2026-01-01T00:60:00Z", "minute 60"],
    ["2026-01-01T00:00:60Z", "second 60"],
    ["2026-01-01T00:00:00+24:00", "offset"],
  ];
  for (const [value, why] of refused) {
    const r = pls(["--dir", dir, "peek", "times", "--since", value!, "--timeout", "1ms"]);
    expect(r.code).toBe(2);
    expect(errorOf(r).kind).toBe("Usage");
    expect(errorOf(r).message).toContain(`'${value}'`);
    expect(errorOf(r).message).toContain(why!);
  }
  // real ones still work: a leap day, and an offset
  for (const value of ["2024-02-29T23:59:59.5Z", "2000-01-01T00:00:00+05:30"]) {
    const r = pls(["--dir", dir, "peek", "times", "--since", value, "--one"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).data).toEqual({ i: 1 });
  }
});

test("--replay takes plain decimal speeds from 0.001 to 1000000, or 0 for no delay; anything else is Usage naming it", () => {
  expect(pls(["--dir", dir, "poke", "replay", "--create", '{"i":1}']).code).toBe(0);
  expect(pls(["--dir", dir, "poke", "replay", '{"i":2}']).code).toBe(0);
  for (const value of ["0x10", "1e-300", "1e3", "Infinity", "NaN", "-1", "0.0009", "1000001", ".5", ""]) {
    const r = pls(["--dir", dir, "peek", "replay", "--tail", "2", "--replay", value]);
    expect(r.code).toBe(2);
    expect(errorOf(r).kind).toBe("Usage");
    expect(errorOf(r).message).toBe(`invalid value for --replay: '${value}'`);
  }
  // the gap between the two messages is waited for at speed/SPEED: at 0.001 a 0.1 s gap would take 100 s, so
  // the slowest speed replays one message
  for (const [value, tail] of [["0", "2"], ["16", "2"], ["1000000", "2"], ["0.001", "1"]]) {
    const r = pls(["--dir", dir, "peek", "replay", "--tail", tail!, "--replay", value!]);
    expect(r.code).toBe(0);
    expect(r.out.trim().split("\n").map((l) => JSON.parse(l).data.i)).toEqual(tail === "2" ? [1, 2] : [2]);
  }
}, 30_000);
