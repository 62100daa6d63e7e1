// `pls peek` as users run it: live follow across processes, filters, history, --one, --timeout, --replay,
// drops, Ctrl-C, and terminal (pseudo-tty) versus piped output.
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { errorOf, lines, pls, plsTty, start, tempRoot } from "./test-harness.ts";

const root = tempRoot("peek-test");
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `d${n++}`);

function pokeN(dir: string, pool: string, count: number, extra: string[] = [], make = (i: number) => ({ i })) {
  const input = Array.from({ length: count }, (_, i) => JSON.stringify(make(i))).join("\n");
  const r = pls(["--dir", dir, "poke", pool, "--create", ...extra], { stdin: input });
  expect(r.code).toBe(0);
}

describe("peek", () => {
  test("follows live from the live edge and exits 130 on Ctrl-C", async () => {
    const dir = freshDir();
    pokeN(dir, "chat", 3);
    const peek = start(["--dir", dir, "peek", "chat"]);
    await Bun.sleep(300);
    pls(["--dir", dir, "poke", "chat", '{"from": "alice", "msg": "hello bob"}']);
    const line = await peek.line();
    expect(JSON.parse(line!)).toMatchObject({ seq: 4, data: { from: "alice", msg: "hello bob" } });
    pls(["--dir", dir, "poke", "chat", '{"n": 5}']);
    expect(JSON.parse((await peek.line())!).seq).toBe(5);
    peek.proc.kill("SIGINT");
    expect(await peek.proc.exited).toBe(130);
  });

  test("a slow producer piped into poke (tail -f | pls poke) reaches a follower line by line", async () => {
    const dir = freshDir();
    pls(["--dir", dir, "pool", "create", "logs"]);
    const follower = start(["--dir", dir, "peek", "logs"]);
    const writer = start(["--dir", dir, "poke", "logs"]);
    await Bun.sleep(400);
    for (let i = 0; i < 3; i++) {
      writer.proc.stdin.write(`{"line": ${i}}\n`);
      writer.proc.stdin.flush();
      // arrives while the producer is still quiet: no waiting for more input (or for 8 lines to sniff)
      const got = await follower.line(2000);
      expect(got).not.toBeNull();
      expect(JSON.parse(got!).data).toEqual({ line: i });
    }
    writer.proc.stdin.end();
    expect(await writer.proc.exited).toBe(0);
    follower.proc.kill("SIGINT");
    expect(await follower.proc.exited).toBe(130);
  });

  test("--where --one blocks until a matching message from another process, then exits 0", async () => {
    const dir = freshDir();
    pls(["--dir", dir, "pool", "create", "ci"]);
    const waiter = start(["--dir", dir, "peek", "ci", "--where", '.data.status == "green"', "--one"]);
    await Bun.sleep(400);
    pls(["--dir", dir, "poke", "ci", '{"status": "red"}']);
    await Bun.sleep(300);
    expect(waiter.proc.exitCode).toBeNull(); // still waiting
    pls(["--dir", dir, "poke", "ci", '{"status": "green", "build": 7}']);
    expect(JSON.parse((await waiter.line())!).data).toEqual({ status: "green", build: 7 });
    expect(await waiter.proc.exited).toBe(0);
  });

  test("--where is real jq: test(), has, length, any; all --where and --tag must match", () => {
    const dir = freshDir();
    pokeN(dir, "logs", 10, [], (i) => ({ i, msg: i % 3 === 0 ? "gateway timeout" : "ok", ...(i % 2 ? { flag: true } : {}) }));
    pls(["--dir", dir, "poke", "logs", "--tag", "sev1", "--tag", "billing", '{"msg": "payment gateway timeout"}']);
    const q = (...args: string[]) => (lines(pls(["--dir", dir, "peek", "logs", "--tail", "100", "--timeout", "50ms", ...args]).out) as Array<{ seq: number }>).map((m) => m.seq);
    expect(q("--where", '.data.msg | test("time.*out")')).toEqual([1, 4, 7, 10, 11]);
    expect(q("--where", '.data | has("flag")')).toEqual([2, 4, 6, 8, 10]);
    expect(q("--where", ".meta.tags | length > 1")).toEqual([11]);
    expect(q("--where", 'any(.meta.tags[]; . == "billing")', "--where", ".seq > 10")).toEqual([11]);
    expect(q("--where", '.data.msg | test("timeout")', "--where", ".data.flag")).toEqual([4, 10]);
    expect(q("--where", '[.meta.tags[] | select(startswith("sev"))] | length > 0')).toEqual([11]);
    expect(q("--where", '.data | to_entries | map(select(.key == "flag")) | any')).toEqual([2, 4, 6, 8, 10]);
    expect(q("--tag", "sev1")).toEqual([11]);
    expect(q("--tag", "sev1", "--tag", "nope")).toEqual([]);
  });

  test("--where errors: malformed and non-boolean expressions are Usage (exit 2)", () => {
    const dir = freshDir();
    pokeN(dir, "p", 2);
    const bad = pls(["--dir", dir, "peek", "p", "--where", ".data.i ==", "--tail", "5"]);
    expect(bad.code).toBe(2);
    expect(errorOf(bad).message).toContain(".data.i ==");
    expect(errorOf(bad).hint).toContain("--where");
    const nonBool = pls(["--dir", dir, "peek", "p", "--where", ".data.i", "--tail", "5", "--timeout", "1s"]);
    expect(nonBool.code).toBe(2);
    expect(errorOf(nonBool).kind).toBe("Usage");
    // a runtime error on one message is just no match
    const r = pls(["--dir", dir, "peek", "p", "--where", '.data.i | test("x") | not', "--tail", "5", "--timeout", "50ms"]);
    expect(r.code).toBe(124);
    expect(r.out).toBe("");
  });

  test("--tag matches tags whatever characters they hold (a tag ending in '],' once stopped every --tag reader)", () => {
    const dir = freshDir();
    const odd = ["a],", 'q"uote', "é,]", "\\", "b"];
    for (const [i, tag] of odd.entries()) pls(["--dir", dir, "poke", "t", "--create", "--tag", tag, "--tag", "b", JSON.stringify({ i })]);
    for (const [i, tag] of odd.entries()) {
      const r = pls(["--dir", dir, "peek", "t", "--tag", tag, "--tail", "10", "--timeout", "10ms"]);
      expect({ tag, code: r.code, err: r.err }).toEqual({ tag, code: 124, err: "" });
      const seen = lines(r.out).map((m) => (m as { data: { i: number } }).data.i);
      expect({ tag, seen }).toEqual({ tag, seen: tag === "b" ? [0, 1, 2, 3, 4] : [i] });
    }
  });

  test("--tail N, --since (relative and RFC 3339), --data-only, --jsonl/--format", () => {
    const dir = freshDir();
    pokeN(dir, "p", 20);
    const tail = pls(["--dir", dir, "peek", "p", "--tail", "3", "--timeout", "50ms"]);
    expect(tail.code).toBe(124);
    expect((lines(tail.out) as Array<{ seq: number }>).map((m) => m.seq)).toEqual([18, 19, 20]);
    const since = pls(["--dir", dir, "peek", "p", "--since", "1h", "--timeout", "50ms", "--jsonl"]);
    expect(lines(since.out).length).toBe(20);
    const t10 = JSON.parse(pls(["--dir", dir, "get", "p", "10"]).out).time as string;
    const fromIso = lines(pls(["--dir", dir, "peek", "p", "--since", t10, "--timeout", "50ms"]).out) as Array<{ seq: number }>;
    expect(fromIso[0].seq).toBe(10);
    const future = pls(["--dir", dir, "peek", "p", "--since", "2099-01-01T00:00:00Z", "--timeout", "50ms"]);
    expect(future.out).toBe("");
    const dataOnly = lines(pls(["--dir", dir, "peek", "p", "--tail", "2", "--data-only", "--timeout", "50ms"]).out);
    expect(dataOnly).toEqual([{ i: 18 }, { i: 19 }]);
    const pretty = pls(["--dir", dir, "peek", "p", "--tail", "1", "--format", "pretty", "--timeout", "50ms"]).out;
    expect(pretty).toContain('\n  "seq": 20,\n');
    expect(pls(["--dir", dir, "peek", "p", "--jsonl", "--format", "pretty"]).code).toBe(2);
    expect(pls(["--dir", dir, "peek", "p", "--tail", "1", "--since", "1h"]).code).toBe(2);
    expect(pls(["--dir", dir, "peek", "p", "--replay", "1"]).code).toBe(2);
    expect(pls(["--dir", dir, "peek", "p", "--replay", "-1", "--tail", "1"]).code).toBe(2);
  });

  test("--timeout exits 124 when nothing arrives, and restarts after each message", async () => {
    const dir = freshDir();
    pls(["--dir", dir, "pool", "create", "p"]);
    const t0 = Date.now();
    expect(pls(["--dir", dir, "peek", "p", "--timeout", "300ms"]).code).toBe(124);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    const peek = start(["--dir", dir, "peek", "p", "--timeout", "800ms"]);
    for (let i = 0; i < 3; i++) {
      await Bun.sleep(400);
      pls(["--dir", dir, "poke", "p", JSON.stringify({ i })]);
    }
    for (let i = 0; i < 3; i++) expect(JSON.parse((await peek.line())!).data.i).toBe(i);
    expect(await peek.proc.exited).toBe(124);
  });

  test("--since --replay honours the original spacing scaled by SPEED", async () => {
    const dir = freshDir();
    for (let i = 0; i < 4; i++) {
      pls(["--dir", dir, "poke", "r", "--create", JSON.stringify({ i })]);
      await Bun.sleep(200);
    }
    // The gaps between lines as they arrive, against the gaps between the stored times: process start-up is
    // not part of it, so a loaded machine can only stretch the gaps, never shrink them.
    const arrivalGapsMs = async (speed: string) => {
      const peek = start(["--dir", dir, "peek", "r", "--since", "1h", "--jsonl", "--replay", speed]);
      const at: number[] = [];
      const times: number[] = [];
      for (let line = await peek.line(); line !== null; line = await peek.line()) {
        at.push(performance.now());
        times.push(Date.parse((JSON.parse(line) as { time: string }).time));
      }
      expect(await peek.proc.exited).toBe(0);
      expect(at).toHaveLength(4);
      return { arrived: at[3] - at[0], stored: times[3] - times[0] };
    };
    const real = await arrivalGapsMs("1");
    expect(real.stored).toBeGreaterThan(550); // 3 gaps of >= 200 ms between pokes
    expect(real.arrived).toBeGreaterThan(real.stored - 50);
    expect(real.arrived).toBeLessThan(real.stored + 1500);
    const fast = await arrivalGapsMs("4");
    expect(fast.arrived).toBeGreaterThan(fast.stored / 4 - 50);
    expect(fast.arrived).toBeLessThan(fast.stored / 4 + 1000);
    const none = await arrivalGapsMs("0");
    expect(none.arrived).toBeLessThan(none.stored / 4);
  });

  test("--tail N --one prints the newest match once N matches exist", async () => {
    const dir = freshDir();
    pokeN(dir, "p", 5);
    expect(JSON.parse(pls(["--dir", dir, "peek", "p", "--tail", "3", "--one"]).out).seq).toBe(5);
    const waiter = start(["--dir", dir, "peek", "p", "--tail", "7", "--one"]);
    await Bun.sleep(300);
    pls(["--dir", dir, "poke", "p", "{}"]);
    await Bun.sleep(200);
    expect(waiter.proc.exitCode).toBeNull();
    pls(["--dir", dir, "poke", "p", '{"seventh": true}']);
    expect(JSON.parse((await waiter.line())!).seq).toBe(7);
    expect(await waiter.proc.exited).toBe(0);
  });

  test("--create lets a waiter start before the pool exists; --no-notify still follows", async () => {
    const dir = freshDir();
    const waiter = start(["--dir", dir, "peek", "late", "--create", "--one", "--no-notify"]);
    await Bun.sleep(400);
    expect(pls(["--dir", dir, "poke", "late", '{"first": true}']).code).toBe(0);
    expect(JSON.parse((await waiter.line())!).data).toEqual({ first: true });
    expect(await waiter.proc.exited).toBe(0);
    expect(pls(["--dir", dir, "peek", "missing"]).code).toBe(3);
  });

  test("a follower lapped by the writer gets a drop notice with the count; --quiet-drops hides it", async () => {
    const dir = freshDir();
    pls(["--dir", dir, "pool", "create", "small", "--size", "16K"]);
    for (const quiet of [false, true]) {
      const peek = start(["--dir", dir, "peek", "small", "--tail", "0", "--timeout", "1500ms", ...(quiet ? ["--quiet-drops"] : [])]);
      await Bun.sleep(300);
      // stop the reader so the writer laps it, then let it continue
      peek.proc.kill("SIGSTOP");
      pokeN(dir, "small", 3000);
      peek.proc.kill("SIGCONT");
      const seqs: number[] = [];
      for (let l = await peek.line(3000); l !== null; l = await peek.line(3000)) seqs.push(JSON.parse(l).seq);
      expect(await peek.proc.exited).toBe(124);
      const err = await peek.stderr();
      if (quiet) expect(err).toBe("");
      else {
        const notices = lines(err) as Array<{ notice: { kind: string; details: { dropped_count: number; last_seen_seq: number; next_seen_seq: number } } }>;
        expect(notices.length).toBe(1);
        const drop = notices[0].notice;
        expect(drop.kind).toBe("drop");
        // nothing was read before the lap: every seq before the first one printed was dropped, and counted
        expect(drop.details.next_seen_seq).toBe(seqs[0]);
        expect(drop.details.dropped_count).toBe(seqs[0] - 1 - drop.details.last_seen_seq);
        expect(drop.details.dropped_count).toBeGreaterThan(2000);
      }
      expect(seqs.length).toBeGreaterThan(0);
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1] + 1);
    }
  });

  test("--gap-policy error fails closed: exit 9 RetentionGap naming the first missing seq, nothing after the gap", async () => {
    const dir = freshDir();
    pls(["--dir", dir, "pool", "create", "small", "--size", "16K"]);
    pokeN(dir, "small", 3);
    const peek = start(["--dir", dir, "peek", "small", "--tail", "3", "--gap-policy", "error"]);
    for (let i = 0; i < 3; i++) expect(JSON.parse((await peek.line())!).seq).toBe(i + 1);
    peek.proc.kill("SIGSTOP");
    pokeN(dir, "small", 3000);
    peek.proc.kill("SIGCONT");
    expect(await peek.line(3000)).toBeNull(); // nothing from after the gap
    expect(await peek.proc.exited).toBe(9);
    const err = lines(await peek.stderr()) as Array<{ error: { kind: string; seq: number; message: string } }>;
    expect(err[0].error).toMatchObject({ kind: "RetentionGap", seq: 4 });
    expect(err[0].error.message).toMatch(/^messages 4-\d+ are no longer retained; the next available message is \d+$/);
    expect(pls(["--dir", dir, "peek", "small", "--gap-policy", "maybe"]).code).toBe(2);
  });

  test("a pool deleted while peek follows it is reported (NotFound, exit 3), not followed forever", async () => {
    const dir = freshDir();
    pls(["--dir", dir, "pool", "create", "gone"]);
    const peek = start(["--dir", dir, "peek", "gone"]);
    await Bun.sleep(400);
    expect(pls(["--dir", dir, "pool", "delete", "gone"]).code).toBe(0);
    expect(await peek.proc.exited).toBe(3);
    expect(await peek.stderr()).toContain("deleted or replaced");
  });

  test("piping into a reader that exits early (| head -1) ends quietly, without waiting for another message", async () => {
    const dir = freshDir();
    pokeN(dir, "p", 5000);
    const main = join(import.meta.dir, "main.ts");
    // a long backlog (the failed write ends it) and a quiet follower (nothing more is written: the closed pipe is
    // noticed by polling it, as tail -f does), each with a far --timeout that must not be what ends it
    for (const tail of ["5000", "1"]) {
      const t0 = performance.now();
      const proc = Bun.spawn(["bash", "-c", `'${process.execPath}' '${main}' --dir '${dir}' peek p --tail ${tail} --timeout 20s | head -1; echo "status=\${PIPESTATUS[0]}"`], { stdout: "pipe", stderr: "pipe" });
      const out = await new Response(proc.stdout).text();
      expect(await new Response(proc.stderr).text()).toBe("");
      expect(out).toContain(tail === "1" ? '"seq":5000,' : '"seq":1,');
      expect(out).toContain("status=0");
      expect(performance.now() - t0).toBeLessThan(10_000);
    }
  });
});

describe("terminal output (pseudo-tty)", () => {
  test("get and peek print pretty, coloured JSON on a terminal; errors are human lines with a hint", () => {
    const dir = freshDir();
    pls(["--dir", dir, "poke", "t", "--create", '{"msg": "hi", "id": 12345678901234567890}']);
    const get = plsTty(["--dir", dir, "get", "t", "1"], { NO_COLOR: "" });
    expect(get.code).toBe(0);
    expect(get.out).toContain("\x1b[36m\"msg\"\x1b[39m: \x1b[32m\"hi\"\x1b[39m");
    // pretty output lays out the stored text: the id keeps its digits (JSON.parse would give ...67000)
    expect(get.out).toContain("\x1b[36m\"id\"\x1b[39m: \x1b[33m12345678901234567890\x1b[39m");
    const data = plsTty(["--dir", dir, "peek", "t", "--tail", "1", "--data-only", "--timeout", "100ms"], { NO_COLOR: "1" });
    expect(data.out).toContain('{\n  "msg": "hi",\n  "id": 12345678901234567890\n}');
    const plain = plsTty(["--dir", dir, "--color", "never", "get", "t", "1"], { NO_COLOR: "" });
    expect(plain.out).toContain('"msg": "hi"');
    expect(plain.out).not.toContain("\x1b[");
    const peek = plsTty(["--dir", dir, "peek", "t", "--tail", "1", "--timeout", "100ms"], { NO_COLOR: "1" });
    expect(peek.code).toBe(124);
    expect(peek.out).toContain('{\n  "seq": 1,\n  "time"');
    expect(peek.out).toContain("no new messages (timed out after 100ms)");
    const quiet = plsTty(["--dir", dir, "peek", "t", "--timeout", "100ms"], { NO_COLOR: "1" });
    expect(quiet.code).toBe(124);
    expect(quiet.out).toContain("no messages received (timed out after 100ms)");
    const doctor = plsTty(["--dir", dir, "doctor", "--all"], { NO_COLOR: "1" });
    expect(doctor.code).toBe(0);
    expect(doctor.out).toContain("t.plasmite: healthy (1 message checked)");
    expect(doctor.out).toContain("The pool is healthy.");
    const err = plsTty(["--dir", dir, "get", "missing", "1"], { NO_COLOR: "1" });
    expect(err.code).toBe(3);
    expect(err.out).toContain("error: pool not found");
    expect(err.out).toContain("hint: ");
    expect(err.out).toContain(`path: ${join(dir, "missing.plasmite")}`);
    expect(err.out).not.toContain('{"error"');
    const info = plsTty(["--dir", dir, "pool", "info", "t"], { NO_COLOR: "1" });
    expect(info.out).toContain("Bounds: oldest=1 newest=1 count=1");
    const version = plsTty(["version"]);
    expect(version.out.trim()).toBe("pls 0.1.0");
  });
});
