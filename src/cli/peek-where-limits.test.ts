// `pls peek --where` against expressions and messages jq cannot finish, as real processes: a runaway expression
// never outlives Ctrl-C or --timeout and cannot take more memory than jq's limit; a message nested deeper than jq
// reads matches nothing and the follower goes on.
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { JQ_MEMORY_LIMIT_BYTES } from "../filter/jq-limits.ts";
import { BUN, MAIN, errorOf, pls, start, tempRoot } from "./test-harness.ts";

const root = tempRoot("peek-where-limits");
// a follower that a failing test leaves stuck in jq must not outlive the test run
const followers: Array<{ kill(signal?: number | NodeJS.Signals): void }> = [];
afterAll(() => {
  for (const p of followers) p.kill("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});
let n = 0;
const freshDir = () => join(root, `d${n++}`);

/** Pokes `{"i": k}` every 100 ms until `done` settles, so a follower sees a message once it follows, however slow its start. */
async function pokeUntil(dir: string, pool: string, done: Promise<unknown>): Promise<void> {
  let settled = false;
  void done.then(() => (settled = true));
  for (let k = 0; !settled; k++) {
    pls(["--dir", dir, "poke", pool, JSON.stringify({ i: k })]);
    await Bun.sleep(100);
  }
}

const nested = (depth: number): unknown => JSON.parse("[".repeat(depth) + "]".repeat(depth));

describe("peek --where: runaway expressions", () => {
  test("Ctrl-C ends a follower whose expression never finishes (exit 130 in under 2 s)", async () => {
    const dir = freshDir();
    pls(["--dir", dir, "pool", "create", "p"]);
    const peek = start(["--dir", dir, "peek", "p", "--where", "repeat(.) | false"]);
    followers.push(peek.proc);
    const exited = peek.proc.exited;
    // let the follower take a message and get stuck in it
    const poking = pokeUntil(dir, "p", Bun.sleep(2500));
    await poking;
    const t0 = performance.now();
    peek.proc.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(performance.now() - t0).toBeLessThan(2000);
  }, 30_000);

  test("--timeout ends a follower stuck in `def f: f; f` with exit 124", async () => {
    const dir = freshDir();
    pls(["--dir", dir, "pool", "create", "p"]);
    const t0 = performance.now();
    const peek = start(["--dir", dir, "peek", "p", "--where", "def f: f; f", "--timeout", "1s"]);
    followers.push(peek.proc);
    const exited = peek.proc.exited;
    await pokeUntil(dir, "p", exited);
    expect(await exited).toBe(124);
    // start-up plus the second of --timeout; a follower blocked in jq would never exit
    expect(performance.now() - t0).toBeLessThan(10_000);
  }, 30_000);

  test("an expression that builds an endless value stops at jq's memory limit with a Usage error naming it", async () => {
    const dir = freshDir();
    pls(["--dir", dir, "poke", "p", "--create", '{"a": 1}']);
    const expr = "[range(1e9)] | length > 0";
    const proc = Bun.spawn([BUN, MAIN, "--dir", dir, "peek", "p", "--tail", "1", "--where", expr], { stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
    followers.push(proc);
    const [code, err] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    expect(code).toBe(2);
    const e = errorOf({ err });
    expect(e.kind).toBe("Usage");
    expect(e.message).toContain(`'${expr}'`);
    expect(e.message).toContain("512 MiB");
    // without the limit jq grew past 1.5 GB; the margin is the runtime itself (main thread and jq's worker)
    expect(proc.resourceUsage()!.maxRSS).toBeLessThan(JQ_MEMORY_LIMIT_BYTES + 256 * 1024 * 1024);
  }, 120_000);
});

describe("peek --where: a message jq cannot read", () => {
  test("a 300-deep message matches nothing; followers (jq and JavaScript) go on to the next match, and --tail reads past it", async () => {
    const dir = freshDir();
    pls(["--dir", dir, "pool", "create", "p"]);
    const viaJq = start(["--dir", dir, "peek", "p", "--where", ".data.ok | . == true"]);
    const viaJs = start(["--dir", dir, "peek", "p", "--where", ".data.ok"]);
    followers.push(viaJq.proc, viaJs.proc);
    await Bun.sleep(1500);
    expect(pls(["--dir", dir, "poke", "p", JSON.stringify({ ok: true, deep: nested(300) })]).code).toBe(0);
    expect(pls(["--dir", dir, "poke", "p", JSON.stringify({ ok: true, n: 2 })]).code).toBe(0);
    for (const follower of [viaJq, viaJs]) {
      const line = await follower.line();
      expect(JSON.parse(line!)).toMatchObject({ seq: 2, data: { ok: true, n: 2 } });
      follower.proc.kill("SIGINT");
      expect(await follower.proc.exited).toBe(130);
    }
    // a restart with history: the deep message is read, not matched, and does not fail the batch
    for (const expr of [".data.ok | . == true", ".data.ok", "true"]) {
      const r = pls(["--dir", dir, "peek", "p", "--tail", "5", "--where", expr, "--timeout", "10ms"]);
      expect({ expr, code: r.code, err: r.err }).toEqual({ expr, code: 124, err: "" });
      expect(r.out.trim().split("\n").map((l) => JSON.parse(l).seq)).toEqual([2]);
    }
    // the envelope and data (two slots each of jq's 256) around 252 arrays is as deep as jq reads: that one
    // matches, one level more does not
    pls(["--dir", dir, "poke", "p", JSON.stringify({ ok: true, deep: nested(252) })]);
    pls(["--dir", dir, "poke", "p", JSON.stringify({ ok: true, deep: nested(253) })]);
    for (const expr of [".data.ok | . == true", ".data.ok"]) {
      const r = pls(["--dir", dir, "peek", "p", "--tail", "5", "--where", expr, "--timeout", "10ms"]);
      expect({ expr, seqs: r.out.trim().split("\n").map((l) => JSON.parse(l).seq) }).toEqual({ expr, seqs: [2, 3] });
    }
  }, 60_000);
});
