// Behaviour tests for --where (where.ts: JavaScript for the simple shapes, jq for the rest), including a compiled binary that runs without node_modules.
// Must never assert on timing (machines vary) or leave temp folders behind.

import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PlasmiteError } from "../errors.ts";
import { jqParses } from "./jq.ts";
import { tooDeepForJq } from "./jq-limits.ts";
import { compileWhere } from "./where.ts";

/** The envelope shape the CLI feeds to matchBatch. */
function envelope(data: unknown, tags: string[] = [], seq = 1): string {
  return JSON.stringify({ seq, time: "2025-01-01T00:00:00.000Z", meta: { tags }, data });
}

async function match(expressions: string[], envelopes: string[]): Promise<boolean[]> {
  return (await compileWhere(expressions)).matchBatch(envelopes);
}

/** The PlasmiteError a promise rejects with or a function throws (fails the test if there is none). */
async function failure(run: () => unknown): Promise<PlasmiteError> {
  try {
    await run();
  } catch (err) {
    expect(err).toBeInstanceOf(PlasmiteError);
    return err as PlasmiteError;
  }
  throw new Error("expected a PlasmiteError");
}

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe("compileWhere: matching", () => {
  test("equality on a data field", async () => {
    const got = await match(['.data.status == "green"'], [envelope({ status: "green" }), envelope({ status: "red" })]);
    expect(got).toEqual([true, false]);
  });

  test("regex test() on a string field", async () => {
    const got = await match(
      ['.data.msg | test("time.*out")'],
      [envelope({ msg: "request timed out" }), envelope({ msg: "ok" }), envelope({ msg: "timeout" })],
    );
    expect(got).toEqual([true, false, true]);
  });

  test("has, length and any over tags", async () => {
    const a = envelope({ user: "x" }, ["sev1", "db"]);
    const b = envelope({}, ["db"]);
    expect(await match(['has("data")'], [a, b])).toEqual([true, true]);
    expect(await match(['.data | has("user")'], [a, b])).toEqual([true, false]);
    expect(await match([".meta.tags | length > 1"], [a, b])).toEqual([true, false]);
    expect(await match(['any(.meta.tags[]; . == "sev1")'], [a, b])).toEqual([true, false]);
  });

  test("a missing field is null, as in jq", async () => {
    expect(await match([".data.missing == null"], [envelope({ x: 1 })])).toEqual([true]);
  });

  test("a null output counts as no match, so a bare boolean field works as a filter", async () => {
    const got = await match([".data.flag"], [envelope({ flag: true }), envelope({ flag: false }), envelope({})]);
    expect(got).toEqual([true, false, false]);
    // the first decisive output ends the expression: an endless generator that yields true terminates,
    // and an error after a true output does not undo the match
    expect(await match(["repeat(true)", '(true, error("late"))'], [envelope({})])).toEqual([true]);
    expect(await match(['(true, error("late"))'], [envelope({})])).toEqual([true]);
    expect(await match(['(error("early"), true)'], [envelope({})])).toEqual([false]);
  });

  test("an expression matches when any of its outputs is true; no output is no match", async () => {
    const got = await match(
      [".data.xs[] > 2"],
      [envelope({ xs: [1, 5] }), envelope({ xs: [1, 2] }), envelope({ xs: [] })],
    );
    expect(got).toEqual([true, false, false]);
  });

  test("multiple expressions must all match", async () => {
    const envs = [
      envelope({ status: "green", n: 5 }),
      envelope({ status: "green", n: 1 }),
      envelope({ status: "red", n: 5 }),
    ];
    expect(await match(['.data.status == "green"', ".data.n > 2"], envs)).toEqual([true, false, false]);
  });

  test("a runtime error fails only the message that caused it", async () => {
    const envs = [envelope({ x: "abc" }), envelope({ x: 42 }), envelope({ x: "a" }), envelope({ x: "zzz" })];
    expect(await match(['.data.x | test("a")'], envs)).toEqual([true, false, true, false]);
  });

  test("unicode and escaped newlines in data", async () => {
    const envs = [
      envelope({ name: "Zoë 🚀 名前", note: "line1\nline2" }),
      envelope({ name: "Zoe", note: "line1 line2" }),
    ];
    expect(await match(['.data.name == "Zoë 🚀 名前"'], envs)).toEqual([true, false]);
    expect(await match(['.data.note | test("1\\n")'], envs)).toEqual([true, false]);
    expect(await match(['.data.name | test("🚀")'], envs)).toEqual([true, false]);
  });

  test("a message with an escaped lone surrogate (JSON accepts it, jq's parser does not) spoils nothing", async () => {
    // through jq itself (a pipe) and in JavaScript: the lone surrogate reads as U+FFFD in both
    const envs = [envelope({ s: "ok" }), `{"seq":2,"time":"t","meta":{"tags":[]},"data":{"s":"x\\ud800"}}`, envelope({ s: "ok" })];
    expect(await match(['.data.s | . == "ok"'], envs)).toEqual([true, false, true]);
    expect(await match(['.data.s | test("\uFFFD")'], envs)).toEqual([false, true, false]);
    expect(await match(['.data.s == "x\uFFFD"'], envs)).toEqual([false, true, false]);
  });

  test("a message nested deeper than jq reads matches nothing, in jq and in JavaScript, and spoils nothing", async () => {
    const deep = (d: number) => JSON.parse("[".repeat(d) + "]".repeat(d));
    const envs = [envelope({ ok: true }), envelope({ ok: true, deep: deep(300) }), envelope({ ok: true, deep: deep(252) }), envelope({ ok: true, deep: deep(253) }), envelope({ ok: false })];
    for (const expr of [".data.ok | . == true", ".data.ok", "true", ".data.ok | not | not"]) {
      expect({ expr, got: await match([expr], envs) }).toEqual({ expr, got: [true, false, true, false, expr === "true"] });
    }
    // a non-boolean on a message jq cannot read is no error either: jq never sees the value
    expect(await match([".data.deep"], [envelope({ deep: deep(300) })])).toEqual([false]);
    expect(await match([".data.deep | length"], [envelope({ deep: deep(300) })])).toEqual([false]);
  });

  test("the nesting rule is jq's own: 400 generated nestings of arrays and objects around the limit", async () => {
    let seed = 20261204;
    const r = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
    const nest = (depth: number): string => {
      let open = "";
      let close = "";
      for (let i = 0; i < depth; i++) {
        const k = r();
        // arrays take one slot of jq's parser stack, objects two; brackets inside strings take none
        if (k < 0.5) [open, close] = [open + "[", "]" + close];
        else if (k < 0.8) [open, close] = [open + '{"k":', "}" + close];
        else [open, close] = [open + '[1,{"a":[],"b":"[{"},', "]" + close];
      }
      return open + (r() < 0.5 ? "[]" : '{"x":1}') + close;
    };
    const seen = { read: 0, refused: 0 };
    for (let t = 0; t < 400; t++) {
      const inner = nest(120 + Math.floor(r() * 150));
      const text = r() < 0.5 ? `{"seq":1,"data":${inner}}` : inner;
      const jq = await jqParses(text);
      expect({ text, refused: tooDeepForJq(text) }).toEqual({ text, refused: !jq });
      seen[jq ? "read" : "refused"]++;
    }
    expect(seen.read).toBeGreaterThan(50);
    expect(seen.refused).toBeGreaterThan(50);
  }, 60_000);

  test("jq definitions and trailing comments inside an expression", async () => {
    const got = await match(["def big: .data.n > 2; big # only large ones"], [envelope({ n: 3 }), envelope({ n: 1 })]);
    expect(got).toEqual([true, false]);
  });

  test("input cannot steal the next message of the batch", async () => {
    const envs = [envelope({ n: 1 }), envelope({ n: 2 }), envelope({ n: 3 })];
    expect(await match(["input.data.n == 2"], envs)).toEqual([false, false, false]);
  });

  test("an empty batch gives an empty result", async () => {
    expect(await match(['.data.status == "green"'], [])).toEqual([]);
  });

  test("no expressions match everything", async () => {
    expect(await match([], [envelope({}), envelope({})])).toEqual([true, true]);
  });

  test("a batch of 10,000 messages gets 10,000 correct answers", async () => {
    const envs = Array.from({ length: 10_000 }, (_, i) =>
      envelope({ n: i, msg: `message ${i}`, status: i % 3 === 0 ? "red" : "green" }, i % 2 ? ["odd"] : [], i),
    );
    const filter = await compileWhere(['.data.status == "red"', 'any(.meta.tags[]; . == "odd")']);
    const got = await filter.matchBatch(envs);
    expect(got.length).toBe(10_000);
    expect(got).toEqual(Array.from({ length: 10_000 }, (_, i) => i % 3 === 0 && i % 2 === 1));
  });
});

describe("compileWhere: usage errors", () => {
  test("a malformed expression is a Usage error naming it, with an example", async () => {
    const err = await failure(() => compileWhere(['.data.status == "green"', ".data.x ==="]));
    expect(err.kind).toBe("Usage");
    expect(err.message).toContain("'.data.x ==='");
    expect(err.message).toContain("syntax error");
    expect(err.hint).toContain(`--where '.data.status == "green"'`);
  });

  test("an empty expression is a Usage error", async () => {
    const err = await failure(() => compileWhere(["  "]));
    expect(err.kind).toBe("Usage");
  });

  test("a non-boolean output is a Usage error naming the expression", async () => {
    const filter = await compileWhere([".data.n"]);
    const err = await failure(() => filter.matchBatch([envelope({ n: 1 })]));
    expect(err.kind).toBe("Usage");
    expect(err.message).toContain("'.data.n'");
    expect(err.hint).toContain(`--where '.data.status == "green"'`);
  });

  // Decision: select(COND) outputs the message itself, which is not a boolean, so it is rejected like any other
  // non-boolean rather than special-cased; the hint tells the user to write COND instead.
  test("select(...) is rejected with a hint to write the condition alone", async () => {
    const filter = await compileWhere(["select(.data.n > 2)"]);
    const err = await failure(() => filter.matchBatch([envelope({ n: 1 }), envelope({ n: 5 })]));
    expect(err.kind).toBe("Usage");
    expect(err.message).toContain("'select(.data.n > 2)'");
    expect(err.hint).toContain("select(COND)");
  });

  test("the non-boolean expression is named even when another expression already rejected the message", async () => {
    const filter = await compileWhere(["false", ".data.n"]);
    const err = await failure(() => filter.matchBatch([envelope({ n: 1 })]));
    expect(err.message).toContain("'.data.n'");
  });
});

describe("compileWhere in a compiled binary", () => {
  test(
    "works with no node_modules and the build folder out of reach",
    () => {
      const buildDir = mkdtempSync(join(tmpdir(), "pls-jq-build-"));
      const runDir = mkdtempSync(join(tmpdir(), "pls-jq-run-"));
      tempDirs.push(buildDir, runDir);
      const entry = join(buildDir, "entry.ts");
      writeFileSync(
        entry,
        [
          `import { compileWhere } from ${JSON.stringify(join(import.meta.dir, "where.ts"))};`,
          `const f = await compileWhere(['.data.status == "green"', '.data.msg | test("é")']);`,
          `const envs = [{ status: "green", msg: "café" }, { status: "red", msg: "café" }, { status: "green", msg: "tea" }]`,
          `  .map((data, seq) => JSON.stringify({ seq, time: "t", meta: { tags: [] }, data }));`,
          `console.log(JSON.stringify(await f.matchBatch(envs)));`,
        ].join("\n"),
      );
      const out = join(buildDir, "where-probe");
      const build = Bun.spawnSync([process.execPath, "build", "--compile", entry, "--outfile", out], {
        stdout: "pipe",
        stderr: "pipe",
      });
      expect(build.exitCode, build.stderr.toString()).toBe(0);

      const binary = join(runDir, "where-probe");
      copyFileSync(out, binary);
      rmSync(buildDir, { recursive: true, force: true });
      const run = Bun.spawnSync([binary], {
        cwd: runDir,
        env: { PATH: "/usr/bin:/bin", HOME: runDir },
        stdout: "pipe",
        stderr: "pipe",
      });
      expect(run.stderr.toString()).toBe("");
      expect(run.exitCode).toBe(0);
      expect(run.stdout.toString().trim()).toBe("[true,false,false]");
    },
    120_000,
  );
});
