// `pls duplex POOL` (issue #15) with real processes: two people chatting on pseudo-terminals (util-linux
// `script`), the scripted mode (a JSON stream in, the others' messages out, ending at EOF), and both against a
// remote pool served over TLS with a token.
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { Client } from "../api/client.ts";
import { BUN, MAIN, errorOf, lines, pls, start, startServe, tempRoot } from "./test-harness.ts";

const root = tempRoot("duplex");
const procs: Array<{ kill(sig?: string | number): void }> = [];
afterAll(() => {
  for (const p of procs) p.kill("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});
let n = 0;
const freshDir = () => join(root, `d${n++}`);
const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
type Chat = { from?: string; msg?: string; [k: string]: unknown };

/** `pls ARGS` on a pseudo-terminal: type into it, read what its screen shows. */
function onTerminal(args: string[]) {
  const line = [BUN, MAIN, ...args].map(quote).join(" ");
  const proc = Bun.spawn(["script", "-qefc", line, "/dev/null"], { stdin: "pipe", stdout: "pipe", stderr: "pipe", env: { ...process.env, TERM: "xterm", NO_COLOR: "1" } });
  procs.push(proc);
  let screen = "";
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stdout) screen += decoder.decode(chunk, { stream: true });
  })();
  return {
    proc,
    get screen() {
      return screen.replace(/\r\n/g, "\n");
    },
    type(text: string) {
      proc.stdin.write(text);
      proc.stdin.flush();
    },
    async waitFor(text: string, limitMs = 15_000) {
      const deadline = Date.now() + limitMs;
      while (!this.screen.includes(text)) {
        if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`screen never showed ${JSON.stringify(text)}:\n${this.screen}`);
        await Bun.sleep(20);
      }
    },
  };
}

/** The chat messages of a local pool, oldest first. */
function messagesOf(dir: string, pool: string): Chat[] {
  const handle = new Client(dir).openPool(pool);
  try {
    const out: Chat[] = [];
    const newest = handle.info().bounds.newest ?? 0;
    for (let seq = handle.info().bounds.oldest ?? 1; seq <= newest; seq++) out.push(handle.get(seq).data as Chat);
    return out;
  } finally {
    handle.close();
  }
}

describe("duplex on a terminal", () => {
  test("two people chat: each typed line is sent as {from, msg}; each sees the other's messages, not their own", async () => {
    const dir = freshDir();
    expect(pls(["--dir", dir, "pool", "create", "room"]).code).toBe(0);
    const alice = onTerminal(["--dir", dir, "duplex", "room", "--me", "alice"]);
    const bob = onTerminal(["--dir", dir, "duplex", "room", "--me", "bob"]);
    await alice.waitFor("duplex: room as alice");
    await bob.waitFor("duplex: room as bob");
    alice.type("hello bob\n");
    await bob.waitFor('"msg": "hello bob"');
    alice.type("   \n"); // blank: not sent
    bob.type("hi alice\n");
    await alice.waitFor('"msg": "hi alice"');
    alice.type("how's it going?\n");
    await bob.waitFor(`"msg": "how's it going?"`);
    alice.type("\x04"); // Ctrl-D
    bob.type("\x04");
    expect(await alice.proc.exited).toBe(0);
    expect(await bob.proc.exited).toBe(0);
    // pretty envelopes on a terminal, the other side's only
    expect(bob.screen).toContain('"from": "alice"');
    expect(bob.screen).not.toContain('"from": "bob"');
    expect(alice.screen).toContain('"from": "bob"');
    expect(alice.screen).not.toContain('"from": "alice"');
    expect(messagesOf(dir, "room")).toEqual([
      { from: "alice", msg: "hello bob" },
      { from: "bob", msg: "hi alice" },
      { from: "alice", msg: "how's it going?" },
    ]);
  }, 60_000);

  test("--echo-self shows your own messages too; --tail shows history first; --jsonl prints lines", async () => {
    const dir = freshDir();
    expect(pls(["--dir", dir, "poke", "room", "--create", '{"from": "zed", "msg": "earlier"}']).code).toBe(0);
    const carol = onTerminal(["--dir", dir, "duplex", "room", "--me", "carol", "--echo-self", "--tail", "1", "--jsonl"]);
    await carol.waitFor('"data":{"from": "zed", "msg": "earlier"}}'); // stored as written
    carol.type("me again\n");
    await carol.waitFor('"data":{"from":"carol","msg":"me again"}}');
    carol.type("\x04");
    expect(await carol.proc.exited).toBe(0);
  }, 30_000);

  test("--me is required when typing on a terminal", async () => {
    const dir = freshDir();
    const r = onTerminal(["--dir", dir, "duplex", "room", "--create"]);
    expect(await r.proc.exited).toBe(2);
    expect(r.screen).toContain("--me NAME is required when duplex reads a terminal");
  }, 30_000);
});

describe("duplex in scripts (stdin is not a terminal)", () => {
  test("ingests a JSON stream, prints only messages it did not write, and ends at EOF", async () => {
    const dir = freshDir();
    expect(pls(["--dir", dir, "pool", "create", "rpc"]).code).toBe(0);
    const watcher = start(["--dir", dir, "peek", "rpc", "--jsonl"]);
    procs.push(watcher.proc);
    const worker = start(["--dir", dir, "duplex", "rpc"]);
    procs.push(worker.proc);
    await Bun.sleep(700); // both follow the live edge
    worker.proc.stdin.write('{"req": 1}\n{\n  "req": 2\n}\n');
    worker.proc.stdin.flush();
    expect(JSON.parse((await watcher.line())!).data).toEqual({ req: 1 });
    expect(JSON.parse((await watcher.line())!).data).toEqual({ req: 2 });
    expect(pls(["--dir", dir, "poke", "rpc", '{"reply": 1}']).code).toBe(0);
    // the worker's own records are not printed; the reply is
    expect(JSON.parse((await worker.line())!).data).toEqual({ reply: 1 });
    worker.proc.stdin.end();
    expect(await worker.proc.exited).toBe(0);
    expect(await worker.line(500)).toBeNull();
    expect(await worker.stderr()).toBe(""); // no receipts, no summary
    watcher.proc.kill();
  }, 30_000);

  test("--tail/--since history is shown before an immediate EOF ends it; --timeout exits 124; a bad record is Usage", () => {
    const dir = freshDir();
    for (let i = 1; i <= 3; i++) expect(pls(["--dir", dir, "poke", "log", "--create", `{"i": ${i}}`]).code).toBe(0);
    const tail = pls(["--dir", dir, "duplex", "log", "--tail", "2"], { stdin: "" });
    expect(tail.code).toBe(0);
    expect(lines(tail.out).map((m) => (m as { data: { i: number } }).data.i)).toEqual([2, 3]);
    const since = pls(["--dir", dir, "duplex", "log", "--since", "1h", "--format", "jsonl"], { stdin: "" });
    expect(lines(since.out)).toHaveLength(3);
    const quiet = Bun.spawnSync(["sh", "-c", `sleep 5 | ${[BUN, MAIN, "--dir", dir, "duplex", "log", "--timeout", "300ms"].map(quote).join(" ")}`], { env: { ...process.env, NO_COLOR: "1" } });
    expect(quiet.exitCode).toBe(124);
    const bad = pls(["--dir", dir, "duplex", "log"], { stdin: '{"ok": 1}\nnot json\n' });
    expect(bad.code).toBe(2);
    expect(errorOf(bad).message).toContain("record 2");
    expect(errorOf(pls(["--dir", dir, "duplex", "log", "--tail", "1", "--since", "1h"], { stdin: "" })).message).toBe("--tail and --since cannot be combined");
    expect(pls(["--dir", dir, "duplex", "missing"], { stdin: "" }).code).toBe(3);
  }, 30_000);
});

describe("duplex with a remote pool (TLS and a token, the same flags as peek)", () => {
  test("a terminal chatting with a script through pls serve", async () => {
    const dir = freshDir();
    const init = join(root, `init-${n++}`);
    expect(pls(["serve", "init", "--output-dir", init, "--bind", "127.0.0.1:9700"]).code).toBe(0);
    const token = join(init, "plasmite-auth-token.txt");
    const cert = join(init, "plasmite-tls-cert.pem");
    const server = await startServe(dir, ["--token-file", token, "--tls-cert", cert, "--tls-key", join(init, "plasmite-tls-key.pem")]);
    procs.push(server.proc);
    const url = `${server.url}/lobby`;
    const auth = ["--token-file", token, "--tls-ca", cert];
    const bob = onTerminal(["duplex", url, "--me", "bob", "--create", ...auth]);
    await bob.waitFor("duplex: ");
    const alice = start(["duplex", url, "--me", "alice", ...auth]);
    procs.push(alice.proc);
    await Bun.sleep(1000); // alice follows the live edge
    alice.proc.stdin.write('{"from": "alice", "msg": "over TLS"}\n');
    alice.proc.stdin.flush();
    await bob.waitFor('"msg": "over TLS"');
    bob.type("ack\n");
    expect(JSON.parse((await alice.line())!).data).toEqual({ from: "bob", msg: "ack" });
    alice.proc.stdin.end();
    expect(await alice.proc.exited).toBe(0);
    bob.type("\x04");
    expect(await bob.proc.exited).toBe(0);
    expect(bob.screen).not.toContain('"from": "bob"');
    expect(messagesOf(dir, "lobby")).toEqual([
      { from: "alice", msg: "over TLS" },
      { from: "bob", msg: "ack" },
    ]);
    // without the token: Permission (exit 6) before anything is sent
    const refused = pls(["duplex", url, "--tls-ca", cert], { stdin: '{"x": 1}\n' });
    expect(refused.code).toBe(6);
    server.proc.kill("SIGTERM");
  }, 60_000);
});
