// What a person at a terminal sees (issue #18): colour only for meaning, commands that say what they are doing,
// an ingest summary that tells what the ring kept. Real processes; terminals are pseudo-terminals (`script`).
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUN, MAIN, pls, tempRoot, type RunResult } from "./test-harness.ts";

const root = tempRoot("terminal");
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `d${n++}`);

const RED = "\x1b[31m";
const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;

/**
 * Runs a shell command line under a pseudo-terminal; `PLS` in it stands for the CLI. `interruptAfterS`: the
 * command gets SIGINT (as from Ctrl-C) after that many seconds.
 */
function onTerminal(commandLine: string, env: Record<string, string> = {}, interruptAfterS?: number): RunResult {
  const pls = `${quote(BUN)} ${quote(MAIN)}`;
  let line = commandLine.replaceAll("PLS", pls);
  // timeout signals its whole process group, every command of a pipeline, as Ctrl-C does
  if (interruptAfterS !== undefined) line = `timeout -s INT ${interruptAfterS} sh -c ${quote(line)}`;
  const r = Bun.spawnSync(["script", "-qefc", line, "/dev/null"], { env: { ...process.env, TERM: "xterm", NO_COLOR: "", ...env } });
  return { code: r.exitCode ?? 128, out: r.stdout.toString().replace(/\r\n/g, "\n"), err: r.stderr.toString() };
}

describe("colour is for meaning", () => {
  test("the stream summary and the serve banner are in the terminal's colour; an error label is red", () => {
    const dir = freshDir();
    const input = join(root, "two.jsonl");
    writeFileSync(input, '{"a":1}\n{"a":2}\n');
    const poke = onTerminal(`PLS --dir ${dir} poke p --create --file ${input}`);
    expect(poke.code).toBe(0);
    expect(poke.out).toContain("appended 2 message(s) to p (seq 1..2): 2 kept, 0 overwritten");
    expect(poke.out).not.toContain(RED);
    const serve = onTerminal(`PLS --dir ${dir} serve --bind 127.0.0.1:0`, {}, 2);
    expect(serve.out).toContain("base_url: http://127.0.0.1:");
    expect(serve.out).toMatch(/mcp: +http:\/\/127\.0\.0\.1:\d+\/mcp/);
    expect(serve.out).not.toContain(RED);
    const err = onTerminal(`PLS --dir ${dir} get missing 1`);
    expect(err.code).toBe(3);
    expect(err.out).toContain(`${RED}error:\x1b[39m pool not found`);
    expect(err.out.split("\n").filter((l) => l.startsWith("\x1b[33mhint:"))[0]).not.toContain(RED);
  });
});

describe("help and errors", () => {
  const errorOf = (r: RunResult) => JSON.parse(r.err.trim().split("\n").at(-1)!).error;

  test("did you mean: an unknown command or flag names the nearest one", () => {
    const dir = freshDir();
    const peak = pls(["--dir", dir, "peak", "chat"]);
    expect(peak.code).toBe(2);
    expect(errorOf(peak)).toMatchObject({ kind: "Usage", message: "unknown command 'peak'", hint: "Did you mean `pls peek`? See `pls --help`." });
    expect(errorOf(pls(["pool", "crate", "x"])).hint).toBe("Did you mean `pls pool create`? See `pls pool --help`.");
    const tial = pls(["--dir", dir, "peek", "chat", "--tial", "5"]);
    expect(tial.code).toBe(2);
    expect(errorOf(tial)).toMatchObject({ kind: "Usage", message: "unknown option '--tial' for `peek`", hint: "Did you mean --tail? See `pls peek --help`." });
    // an unrelated word gets no guess
    expect(errorOf(pls(["frobnicate"])).hint).toBe("See `pls --help`.");
    expect(errorOf(pls(["peek", "chat", "--zzzzzz"])).hint).toBe("Try `pls peek --help`.");
  });

  test("an unknown command with --help (or after help) is an error, not the main help", () => {
    for (const args of [["mcpx", "--help"], ["help", "mcpx"], ["pool", "resize", "--help"]]) {
      const r = pls(args);
      expect(r.code).toBe(2);
      expect(r.out).toBe("");
      expect(errorOf(r).kind).toBe("Usage");
    }
    expect(errorOf(pls(["mcpx", "--help"])).message).toBe("unknown command 'mcpx'");
    expect(pls(["pool", "--help"]).code).toBe(0);
    expect(pls(["help", "pool"]).code).toBe(0);
  });

  test("a missing argument points to the command's own help", () => {
    const peek = pls(["peek"]);
    expect(peek.code).toBe(2);
    expect(errorOf(peek)).toMatchObject({ kind: "Usage", message: "Missing required positional argument: POOL", hint: "Try `pls peek --help`." });
    expect(errorOf(pls(["pool", "create"])).hint).toBe("Try `pls pool create --help`.");
  });

  test("help shows no '(pls peek)' or '(pls v0.1.0)' glued to the description", () => {
    for (const cmd of [[], ["peek"], ["pool"], ["pool", "create"], ["serve"], ["serve", "init"], ["version"]]) {
      const help = pls([...cmd, "--help"]);
      expect(help.code).toBe(0);
      expect(help.out).not.toMatch(/\((pls|plasmite)( [a-z]+)*( v[0-9.]+)?\)/);
      expect(help.out).toContain("USAGE");
    }
    const named = pls(["--help"], { env: { PLASMITE_PROGRAM_NAME: "plasmite" } });
    expect(named.out).not.toContain("(plasmite v");
  });

  test("--color always colours output into a pipe (still one JSON line each); auto does not", () => {
    const dir = freshDir();
    pls(["--dir", dir, "poke", "c", "--create", '{"a": 1}']);
    const SGR = /\x1b\[[0-9;]*m/g;
    for (const args of [["get", "c", "1"], ["peek", "c", "--tail", "1", "--timeout", "10ms"], ["pool", "info", "c"], ["poke", "c", '{"b": 2}']]) {
      const forced = pls(["--dir", dir, "--color", "always", ...args], { env: { NO_COLOR: "1" } });
      const plain = pls(["--dir", dir, ...args]);
      const keys = (text: string) => {
        try {
          return Object.keys(JSON.parse(text));
        } catch {
          return `not JSON: ${JSON.stringify(text)}`;
        }
      };
      // one object per command, so a failure shows the command and everything it printed
      const seen = {
        args,
        codes: [forced.code, plain.code],
        stderr: forced.err + plain.err,
        keyColoured: forced.out.includes('\x1b[36m"'),
        forcedLines: forced.out.trim().split("\n").length,
        plainColoured: plain.out.includes("\x1b["),
        // the same JSON under the colours (poke appends again: compare the shape)
        forcedKeys: keys(forced.out.replace(SGR, "")),
        plainKeys: keys(plain.out),
      };
      const code = args[0] === "peek" ? 124 : 0;
      expect(seen).toEqual({ ...seen, codes: [code, code], stderr: "", keyColoured: true, forcedLines: 1, plainColoured: false, forcedKeys: seen.plainKeys });
      expect(Array.isArray(seen.plainKeys)).toBe(true);
    }
    // help too, also where citty alone would not colour (CI, TEST, TERM=dumb: the CI machine sets them)
    const ciEnv = { CI: "1", TEST: "1", TERM: "dumb" };
    expect(pls(["--color", "always", "--help"], { env: ciEnv }).out).toContain("\x1b[1;4mUSAGE");
    expect(pls(["--color", "always", "poke", "--help"], { env: ciEnv }).out).toContain("\x1b[36mPOOL\x1b[39m");
    expect(pls(["--help"]).out).not.toContain("\x1b[");
  });
});

describe("commands say what they are doing", () => {
  /** A real `pls serve` on a free port; its address from the line it logs on stderr (JSON: not a terminal). */
  async function serve(dir: string) {
    const proc = Bun.spawn([BUN, MAIN, "--dir", dir, "serve", "--bind", "127.0.0.1:0"], { env: { ...process.env, NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe" });
    const reader = proc.stderr.getReader();
    let text = "";
    while (!text.includes("\n")) {
      const r = await reader.read();
      if (r.done) throw new Error(`serve ended: ${text}`);
      text += new TextDecoder().decode(r.value);
    }
    reader.releaseLock();
    return { proc, listening: JSON.parse(text.slice(0, text.indexOf("\n"))) };
  }

  test("serve logs where it listens: one JSON line when stderr is not a terminal, the banner on one", async () => {
    const dir = freshDir();
    const { proc, listening } = await serve(dir);
    try {
      expect(listening).toMatchObject({ event: "listening", auth: "none", tls: "disabled", access: "read-write" });
      expect(listening.url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9][0-9]*$/);
      expect(listening.ui).toBe(`${listening.url}/ui`);
      expect(listening.mcp).toBe(`${listening.url}/mcp`);
      expect(listening.listen).toBe(listening.url.slice("http://".length)); // the port it got, not :0
      expect((await fetch(`${listening.url}/v0/pools`)).status).toBe(200);
    } finally {
      proc.kill("SIGINT");
      expect(await proc.exited).toBe(0);
    }
    const banner = onTerminal(`PLS --dir ${dir} serve --bind 127.0.0.1:0`, {}, 2);
    expect(banner.out).toMatch(/listen: +127\.0\.0\.1:[1-9]/);
    expect(banner.out).not.toContain('"event"');
  });

  test("peek on a terminal says what it follows (local and remote); nothing extra when stderr is not a terminal", async () => {
    const dir = freshDir();
    pls(["--dir", dir, "pool", "create", "chat"]);
    const empty = onTerminal(`PLS --dir ${dir} peek chat --timeout 100ms`);
    expect(empty.code).toBe(124);
    expect(empty.out).toContain("following chat (empty) — Ctrl-C to stop");
    for (let i = 0; i < 3; i++) pls(["--dir", dir, "poke", "chat", `{"i": ${i}}`]);
    const some = onTerminal(`PLS --dir ${dir} peek chat --tail 1 --timeout 100ms`);
    expect(some.out).toContain("following chat (3 messages, newest seq 3) — Ctrl-C to stop");
    // after the history it printed
    expect(some.out.indexOf('"seq": 3')).toBeLessThan(some.out.indexOf("following chat"));
    const piped = pls(["--dir", dir, "peek", "chat", "--timeout", "50ms"]);
    expect(piped.code).toBe(124);
    expect(piped.err).toBe("");
    const { proc, listening } = await serve(dir);
    try {
      const remote = onTerminal(`PLS peek ${listening.url}/chat --timeout 300ms`);
      expect(remote.out).toContain(`following ${listening.url}/chat (3 messages, newest seq 3) — Ctrl-C to stop`);
    } finally {
      proc.kill("SIGINT");
      await proc.exited;
    }
  });
});

describe("stream ingest says what the ring kept", () => {
  const info = (dir: string, pool: string) => JSON.parse(pls(["--dir", dir, "pool", "info", pool]).out);
  const records = (count: number) => Array.from({ length: count }, (_, i) => `{"i":${i},"pad":"${"x".repeat(40)}"}\n`).join("");
  const num = (text: string) => Number(text.replaceAll(",", ""));

  test("on a terminal: kept + overwritten == appended, as pool info shows, with a size that keeps them all", () => {
    const dir = freshDir();
    const input = join(root, "many.jsonl");
    writeFileSync(input, records(30_000));
    const r = onTerminal(`PLS --dir ${dir} poke p --create --file ${input}`);
    expect(r.code).toBe(0);
    const m = /appended ([\d,]+) message\(s\) to p \(seq 1\.\.30000\): ([\d,]+) kept, ([\d,]+) overwritten/.exec(r.out);
    expect(m).not.toBeNull();
    const [appended, kept, overwritten] = [num(m![1]), num(m![2]), num(m![3])];
    expect(appended).toBe(30_000);
    expect(kept + overwritten).toBe(appended);
    expect(overwritten).toBeGreaterThan(0); // a 1 MiB pool holds a fraction of 30,000 such records
    const i = info(dir, "p");
    expect(i.metrics.message_count).toBe(kept);
    expect(i.bounds).toEqual({ oldest: 30_000 - kept + 1, newest: 30_000 });
    const size = /hint:\x1b\[39m the pool is full and keeps only the newest; for all 30,000: pls pool create NAME --size (\d+[KMG])/.exec(r.out);
    expect(size).not.toBeNull();
    // the suggested size does keep them all
    expect(pls(["--dir", dir, "pool", "create", "big", "--size", size![1]]).code).toBe(0);
    expect(pls(["--dir", dir, "poke", "big", "--file", input]).code).toBe(0);
    expect(info(dir, "big").metrics.message_count).toBe(30_000);
  });

  test("piped: one notice on stderr when the ring overwrote part of the ingest, nothing when it kept all", () => {
    const dir = freshDir();
    const r = pls(["--dir", dir, "poke", "p", "--create"], { stdin: records(30_000) });
    expect(r.code).toBe(0);
    expect(r.out.trim().split("\n").length).toBe(30_000); // receipts
    const notices = r.err.trim().split("\n").map((l) => JSON.parse(l).notice);
    expect(notices.length).toBe(1);
    expect(notices[0]).toMatchObject({ kind: "ingest_overwritten", cmd: "poke", pool: "p" });
    const d = notices[0].details;
    expect(d).toMatchObject({ appended: 30_000, first_seq: 1, last_seq: 30_000 });
    expect(d.kept + d.overwritten).toBe(d.appended);
    expect(d.suggested_size).toMatch(/^\d+[KMG]$/);
    expect(info(dir, "p").metrics.message_count).toBe(d.kept);
    const small = pls(["--dir", dir, "poke", "q", "--create"], { stdin: records(10) });
    expect(small.code).toBe(0);
    expect(small.err).toBe("");
  });

  test("Ctrl-C reports how many were appended (receipts flushed) and exits 130", async () => {
    const dir = freshDir();
    pls(["--dir", dir, "pool", "create", "p", "--size", "64M"]);
    const proc = Bun.spawn([BUN, MAIN, "--dir", dir, "poke", "p"], { env: { ...process.env, NO_COLOR: "1" }, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    const out = new Response(proc.stdout).text();
    const err = new Response(proc.stderr).text();
    for (let k = 0; k < 5; k++) {
      proc.stdin.write(records(2000));
      await proc.stdin.flush();
    }
    // the producer is still there (stdin open): wait until some records are in, then interrupt
    const deadline = Date.now() + 10_000;
    while ((info(dir, "p").bounds.newest ?? 0) < 10_000 && Date.now() < deadline) await Bun.sleep(20);
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(130);
    const receipts = (await out).trim().split("\n").length;
    const notice = JSON.parse((await err).trim().split("\n").at(-1)!).notice;
    expect(notice).toMatchObject({ kind: "ingest_interrupted", details: { appended: 10_000, kept: 10_000, overwritten: 0, first_seq: 1, last_seq: 10_000 } });
    expect(receipts).toBe(10_000);
    expect(info(dir, "p").bounds.newest).toBe(10_000);
    const tty = onTerminal(`sh -c 'while :; do echo "{\\"a\\":1}"; sleep 0.05; done' | PLS --dir ${dir} poke p`, {}, 3); // 3 s: under load, start-up alone can take a second
    expect(tty.out).toMatch(/interrupted: appended [\d,]+ message\(s\) to p \(seq 10001\.\.\d+\): [\d,]+ kept, 0 overwritten/);
  });

  test("a long ingest on a terminal shows a progress line after a second; a short one does not", () => {
    const dir = freshDir();
    const slow = onTerminal(`sh -c 'for i in 1 2 3 4 5 6 7 8; do echo "{\\"i\\":$i}"; sleep 0.25; done' | PLS --dir ${dir} poke p --create`);
    expect(slow.code).toBe(0);
    expect(slow.out).toMatch(/\r\x1b\[2Kappended [5-8] messages \(\d+\/s\)/);
    expect(slow.out).toContain("appended 8 message(s) to p (seq 1..8): 8 kept, 0 overwritten");
    const quick = onTerminal(`echo '{"i":1}' | PLS --dir ${dir} poke p`);
    expect(quick.out).not.toContain("\x1b[2K");
  });
});
