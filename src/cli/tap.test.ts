// `pls tap POOL -- COMMAND` (issue #15) with real processes: what it records (start, lines tagged by stream in
// order, exit code or signal), what still reaches the terminal, exit status, forwarded signals, a million lines
// through a pool whose lock another process holds meanwhile (backpressure: nothing lost), a follower seeing lines
// while the command runs, Ctrl-C at a pseudo-terminal, and remote pools over TLS with a token.
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { Client } from "../api/client.ts";
import { envelopeDataText, envelopeJson } from "../wire/index.ts";
import { LineSplitter, MAX_LINE_CHARS } from "./commands/tap.ts";
import { BUN, MAIN, errorOf, holdFlock, pls, start, startServe, tempRoot } from "./test-harness.ts";

const root = tempRoot("tap");
const servers: Array<{ proc: { kill(sig?: string | number): void } }> = [];
afterAll(() => {
  for (const s of servers) s.proc.kill("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});
let n = 0;
const freshDir = () => join(root, `d${n++}`);

type Data = { kind: string; stream?: string; line?: string; cmd?: string[]; code?: number; signal?: string; error?: string; elapsed_ms?: number; partial?: boolean };
interface Recorded {
  seq: number;
  meta: { tags: string[] };
  data: Data;
}

/** Every message of a local pool, oldest first. */
async function recorded(dir: string, pool: string): Promise<Recorded[]> {
  const handle = new Client(dir).openPool(pool);
  try {
    const out: Recorded[] = [];
    const newest = handle.info().bounds.newest ?? 0;
    if (newest === 0) return out;
    for await (const m of handle.tail({ since: 1, max: newest })) out.push(m as unknown as Recorded);
    return out;
  } finally {
    handle.close();
  }
}

const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;

describe("pls tap", () => {
  test("records start, every line tagged by stream in order, and the exit; output still reaches stdout/stderr", async () => {
    const dir = freshDir();
    const script = "for i in $(seq 1 300); do echo out$i; echo err$i >&2; done; printf 'last\\r\\nno newline'";
    const r = pls(["--dir", dir, "tap", "build", "--create", "--tag", "ci", "-t", "x", "--", "sh", "-c", script]);
    expect(r.code).toBe(0);
    const outLines = Array.from({ length: 300 }, (_, i) => `out${i + 1}`);
    const errLines = Array.from({ length: 300 }, (_, i) => `err${i + 1}`);
    expect(r.out).toBe(outLines.join("\n") + "\nlast\r\nno newline");
    expect(r.err).toBe(errLines.join("\n") + "\n");
    const all = await recorded(dir, "build");
    expect(all[0].data).toEqual({ kind: "start", cmd: ["sh", "-c", script] });
    expect(all[0].meta.tags).toEqual(["lifecycle"]);
    const end = all.at(-1)!;
    expect(end.meta.tags).toEqual(["lifecycle"]);
    expect(end.data).toMatchObject({ kind: "exit", code: 0 });
    expect(Object.keys(end.data)).toEqual(["kind", "code", "elapsed_ms"]);
    expect(end.data.elapsed_ms).toBeGreaterThanOrEqual(0);
    const lines = all.slice(1, -1);
    expect(lines.every((m) => m.data.kind === "line" && m.meta.tags.join() === "ci,x")).toBe(true);
    expect(lines.filter((m) => m.data.stream === "stdout").map((m) => m.data.line)).toEqual([...outLines, "last", "no newline"]);
    expect(lines.filter((m) => m.data.stream === "stderr").map((m) => m.data.line)).toEqual(errLines);
    expect(Object.keys(lines[0].data)).toEqual(["kind", "stream", "line"]);
  });

  test("--quiet records without passing output through; exit status is the command's, or 128+signal", async () => {
    const dir = freshDir();
    const q = pls(["--dir", dir, "tap", "p", "--create", "-q", "--", "sh", "-c", "echo hidden; echo also >&2; exit 7"]);
    expect(q.code).toBe(7);
    expect(q.out).toBe("");
    expect(q.err).toBe("");
    // stdout and stderr are two pipes: which line tap reads first is the scheduler's choice
    const seen = (await recorded(dir, "p")).map((m) => m.data.line ?? m.data.kind);
    expect([seen[0], [...seen.slice(1, 3)].sort(), seen[3], seen.length]).toEqual(["start", ["also", "hidden"], "exit", 4]);
    expect((await recorded(dir, "p")).at(-1)!.data).toMatchObject({ kind: "exit", code: 7 });

    const killed = pls(["--dir", dir, "tap", "p", "--quiet", "--", "sh", "-c", "echo before; kill -KILL $$"]);
    expect(killed.code).toBe(137);
    const end = (await recorded(dir, "p")).at(-1)!.data;
    expect(end).toMatchObject({ kind: "exit", signal: "SIGKILL" });
    expect(Object.keys(end)).toEqual(["kind", "signal", "elapsed_ms"]);
    expect(pls(["--dir", dir, "tap", "p", "--quiet", "--", "false"]).code).toBe(1);
  });

  test("SIGTERM and SIGINT sent to tap reach the command; tap records how it ended and exits with its status", async () => {
    const dir = freshDir();
    pls(["--dir", dir, "pool", "create", "svc"]);
    // a command that ignores nothing: killed by the forwarded SIGTERM
    const a = Bun.spawn([BUN, MAIN, "--dir", dir, "tap", "svc", "--quiet", "--", "sleep", "30"], { stderr: "pipe" });
    await waitFor(async () => (await recorded(dir, "svc")).some((m) => m.data.kind === "start"));
    await Bun.sleep(100);
    a.kill("SIGTERM");
    expect(await a.exited).toBe(143);
    expect((await recorded(dir, "svc")).at(-1)!.data).toMatchObject({ kind: "exit", signal: "SIGTERM" });

    // a command that handles SIGINT: it says so and exits 4, which tap passes on
    const handler = `trap 'echo caught INT; exit 4' INT; echo ready; while :; do sleep 0.05; done`;
    const b = Bun.spawn([BUN, MAIN, "--dir", dir, "tap", "svc", "--quiet", "--", "sh", "-c", handler], { stderr: "pipe" });
    await waitFor(async () => (await recorded(dir, "svc")).some((m) => m.data.line === "ready"));
    b.kill("SIGINT"); // to tap alone, not its process group
    expect(await b.exited).toBe(4);
    const tailOf = (await recorded(dir, "svc")).slice(-2).map((m) => m.data);
    expect(tailOf[0]).toMatchObject({ kind: "line", stream: "stdout", line: "caught INT" });
    expect(tailOf[1]).toMatchObject({ kind: "exit", code: 4 });
  }, 30_000);

  test("a follower sees each line while the command still runs", async () => {
    const dir = freshDir();
    pls(["--dir", dir, "pool", "create", "live"]);
    const follower = start(["--dir", dir, "peek", "live", "--jsonl", "--where", '.data.kind == "line"']);
    await Bun.sleep(500); // peek is following
    const tap = Bun.spawn([BUN, MAIN, "--dir", dir, "tap", "live", "--quiet", "--", "sh", "-c", "date +%s%3N; sleep 3; echo later"], { stderr: "pipe" });
    const first = await follower.line(10_000);
    const seenMs = Date.now();
    expect(tap.exitCode).toBeNull(); // the command is still running
    const writtenMs = Number(JSON.parse(first!).data.line);
    expect(seenMs - writtenMs).toBeLessThan(1000); // typically a few ms; generous for a loaded machine
    expect(JSON.parse((await follower.line(10_000))!).data.line).toBe("later");
    expect(await tap.exited).toBe(0);
    follower.proc.kill();
  }, 30_000);

  test("a million lines while another process holds the pool's lock: all recorded, in order (the command waits)", async () => {
    const dir = freshDir();
    expect(pls(["--dir", dir, "pool", "create", "big", "--size", "256M"]).code).toBe(0);
    const holder = await holdFlock(join(dir, "big.plasmite"));
    const t0 = performance.now();
    const tap = Bun.spawn([BUN, MAIN, "--dir", dir, "tap", "big", "--quiet", "--lock-timeout", "60000", "--", "seq", "1", "1000000"], { stderr: "pipe" });
    await Bun.sleep(1500); // the command fills its pipe and waits; tap waits for the lock
    expect(tap.exitCode).toBeNull();
    await holder.release();
    expect(await tap.exited).toBe(0);
    expect(performance.now() - t0).toBeGreaterThan(1500);
    const handle = new Client(dir).openPool("big");
    try {
      expect(handle.info().metrics.message_count).toBe(1_000_002);
      // a cursor, not tail(): a million checks with no per-message promise
      const cursor = handle.cursor({ seq: 1 });
      let expected = 1;
      let seq = 0;
      for (let it = cursor.next(); it; it = cursor.next()) {
        if (!it.message || it.message.seq !== ++seq) throw new Error(`not contiguous at seq ${seq}`);
        const d = JSON.parse(envelopeDataText(envelopeJson(it.message))!) as Data;
        if (d.kind !== "line") continue;
        if (d.line !== String(expected) || d.stream !== "stdout") throw new Error(`seq ${seq}: expected line ${expected}, got ${d.line}`);
        expected++;
      }
      expect(seq).toBe(1_000_002);
      expect(expected).toBe(1_000_001);
    } finally {
      handle.close();
    }
  }, 120_000);

  test("Ctrl-C at a terminal stops a command that never ends: exit 130, the exit recorded", async () => {
    const dir = freshDir();
    const pls_ = `${quote(BUN)} ${quote(MAIN)}`;
    const line = `${pls_} --dir ${quote(dir)} tap forever --create -- sh -c 'while :; do echo tick; sleep 0.1; done'`;
    // timeout signals the whole process group, as Ctrl-C does
    const r = Bun.spawnSync(["script", "-qefc", `timeout --preserve-status -s INT 2 sh -c ${quote(line)}`, "/dev/null"], { env: { ...process.env, TERM: "xterm", NO_COLOR: "1" } });
    const shown = r.stdout.toString().replace(/\r\n/g, "\n");
    expect(r.exitCode).toBe(130);
    expect(shown).toContain("tap: recording sh -c 'while :; do echo tick; sleep 0.1; done' into forever");
    expect(shown).toContain("tick\n");
    expect(shown).toMatch(/tap: \d+ line\(s\) into forever in \d+\.\d s, killed by SIGINT/);
    const all = await recorded(dir, "forever");
    expect(all.at(-1)!.data).toMatchObject({ kind: "exit", signal: "SIGINT" });
    expect(all.filter((m) => m.data.line === "tick").length).toBeGreaterThan(3);
  }, 30_000);

  test("refuses a missing command, words before --, and a command that does not exist", async () => {
    const dir = freshDir();
    expect(errorOf(pls(["--dir", dir, "tap", "p", "--create"])).message).toBe("tap needs a command to run, after --");
    expect(errorOf(pls(["--dir", dir, "tap", "p", "make", "--", "x"])).message).toBe("unexpected argument 'make' for `tap`");
    const missing = pls(["--dir", dir, "tap", "p", "--create", "--", "no-such-command-here"]);
    expect(missing.code).toBe(2);
    expect(errorOf(missing).message).toBe("command not found: no-such-command-here");
    // every start has its exit, here saying why the command never ran
    expect((await recorded(dir, "p")).map((m) => m.data)).toEqual([
      { kind: "start", cmd: ["no-such-command-here"] },
      { kind: "exit", error: "command not found: no-such-command-here", elapsed_ms: expect.any(Number) },
    ]);
    expect(errorOf(pls(["--dir", dir, "tap", "p", "--create-size", "1M", "--", "true"])).message).toBe("--create-size requires --create");
    expect(errorOf(pls(["--dir", dir, "tap", "p", "--durability", "slow", "--", "true"])).message).toBe("invalid value for --durability: 'slow'");
  });

  test("a remote pool over TLS with a token (the same flags as peek), created with --create", async () => {
    const dir = freshDir();
    const init = join(root, `init-${n++}`);
    expect(pls(["serve", "init", "--output-dir", init, "--bind", "127.0.0.1:9700"]).code).toBe(0);
    const token = join(init, "plasmite-auth-token.txt");
    const cert = join(init, "plasmite-tls-cert.pem");
    const server = await startServe(dir, ["--token-file", token, "--tls-cert", cert, "--tls-key", join(init, "plasmite-tls-key.pem")]);
    servers.push(server);
    expect(server.url).toStartWith("https://127.0.0.1:");
    const r = pls(["tap", `${server.url}/remote`, "--create", "--token-file", token, "--tls-ca", cert, "--tag", "r", "--", "sh", "-c", "echo one; echo two >&2; exit 3"]);
    expect(r.code).toBe(3);
    const all = await recorded(dir, "remote");
    // stdout and stderr are two pipes: which line tap reads first is the scheduler's choice
    const kinds = all.map((m) => `${m.data.kind}:${m.data.stream ?? m.data.code ?? ""}`);
    expect([kinds[0], kinds.slice(1, 3).sort(), kinds[3], kinds.length]).toEqual(["start:", ["line:stderr", "line:stdout"], "exit:3", 4]);
    expect(all[1].meta.tags).toEqual(["r"]);
    // without the token: refused before the command runs
    const refused = pls(["tap", `${server.url}/remote`, "--tls-ca", cert, "--", "sh", "-c", "echo must-not-run"]);
    expect(refused.code).toBe(6);
    expect(refused.out).not.toContain("must-not-run");
    server.proc.kill("SIGTERM");
  }, 60_000);
});

describe("LineSplitter", () => {
  const lines = (texts: string[]) => texts.map((t) => JSON.parse(t) as Data);
  test("CRLF, a character split across reads, invalid bytes, the last line without a newline", () => {
    const s = new LineSplitter("stdout");
    const euro = new TextEncoder().encode("€");
    expect(lines(s.push(new Uint8Array([...new TextEncoder().encode("a\r\nb"), euro[0]])))).toEqual([{ kind: "line", stream: "stdout", line: "a" }]);
    expect(lines(s.push(new Uint8Array([euro[1], euro[2], 0x0a, 0xff, 0x0a])))).toEqual([
      { kind: "line", stream: "stdout", line: "b€" },
      { kind: "line", stream: "stdout", line: "\ufffd" },
    ]);
    expect(lines(s.push(new TextEncoder().encode("tail")))).toEqual([]);
    expect(lines(s.end())).toEqual([{ kind: "line", stream: "stdout", line: "tail" }]);
    expect(s.end()).toEqual([]);
  });

  test("a line longer than MAX_LINE_CHARS becomes pieces, all but the last marked partial, none lost", () => {
    const s = new LineSplitter("stderr");
    const long = "x".repeat(MAX_LINE_CHARS * 2 + 10);
    const first = lines(s.push(new TextEncoder().encode(long.slice(0, MAX_LINE_CHARS + 5))));
    expect(first).toEqual([{ kind: "line", stream: "stderr", line: "x".repeat(MAX_LINE_CHARS), partial: true }]);
    const rest = lines(s.push(new TextEncoder().encode(long.slice(MAX_LINE_CHARS + 5) + "\n")));
    expect(rest.map((d) => [d.line!.length, d.partial ?? false])).toEqual([
      [MAX_LINE_CHARS, true],
      [10, false],
    ]);
  });
});

async function waitFor(condition: () => Promise<boolean>, limitMs = 15_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(20);
  }
}
