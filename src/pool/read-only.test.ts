// Readers that may not write the pool file (another user, a read-only mount) follow it without storing to the
// mapping: real processes run as `nobody` (setpriv) against pools root writes. Before the fix they died of
// SIGSEGV (exit 139) on their first wait or once the JIT compiled Atomics.load.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { BUN, MAIN, pls, startServe, tempRoot } from "../cli/test-harness.ts";

const root = tempRoot("read-only");
chmodSync(root, 0o755);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));
const asRoot = process.getuid?.() === 0;
const runnable = SETPRIV !== undefined && asRoot;
const note = runnable ? "" : ` (SKIPPED: ${SETPRIV ? "not running as root" : "setpriv is missing"})`;
const AS_NOBODY = [SETPRIV ?? "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];
const NOBODY_ENV = { PATH: "/usr/bin:/bin", HOME: "/tmp", NO_COLOR: "1" };

let n = 0;
/** A pool directory nobody can read but not write (the pool file is 0644, owned by root). */
function poolDir(messages: number): string {
  const dir = join(root, `d${n++}`);
  mkdirSync(dir, { mode: 0o755 });
  expect(pls(["--dir", dir, "pool", "create", "p", "--size", "8M"]).code).toBe(0);
  if (messages > 0) {
    const lines = Array.from({ length: messages }, (_, i) => JSON.stringify({ i })).join("\n");
    expect(pls(["--dir", dir, "poke", "p"], { stdin: lines }).code).toBe(0);
  }
  return dir;
}

function spawnAsNobody(args: string[]) {
  return Bun.spawn([...AS_NOBODY, BUN, MAIN, ...args], { env: NOBODY_ENV, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
}

/** Seqs of the JSON lines in `text`; fails on a line that is not an envelope. */
function seqsOf(text: string): number[] {
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => (JSON.parse(l) as { seq: number }).seq);
}

describe("followers that may not write the pool file", () => {
  test.skipIf(!runnable)(`peek as another user reads 60,000 messages of history, then follows a live writer; says once that it polls${note}`, async () => {
    const dir = poolDir(60_000);
    const peek = spawnAsNobody(["--dir", dir, "peek", "p", "--tail", "60000", "--jsonl", "--timeout", "1500ms"]);
    await Bun.sleep(400);
    // a writer appending one message at a time while the follower waits between them
    for (let i = 0; i < 10; i++) {
      expect(pls(["--dir", dir, "poke", "p", JSON.stringify({ live: i })]).code).toBe(0);
    }
    const [out, err, code] = await Promise.all([new Response(peek.stdout).text(), new Response(peek.stderr).text(), peek.exited]);
    expect(code).toBe(124); // the --timeout after the last message, not a signal (139 was SIGSEGV)
    expect(seqsOf(out)).toEqual(Array.from({ length: 60_010 }, (_, i) => i + 1));
    const notices = err.split("\n").filter((l) => l.includes('"notice"'));
    expect(notices.length).toBe(1);
    expect(JSON.parse(notices[0]).notice).toMatchObject({ kind: "polling", cmd: "peek", pool: "p" });
  }, 60_000);

  test.skipIf(!runnable)(`peek --no-notify as another user follows a concurrent stream of writes with every seq in order${note}`, async () => {
    const dir = poolDir(0);
    const peek = spawnAsNobody(["--dir", dir, "peek", "p", "--jsonl", "--no-notify", "--timeout", "2s"]);
    await Bun.sleep(400);
    const lines = Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ i, pad: "x".repeat(i % 200) })).join("\n");
    expect(pls(["--dir", dir, "poke", "p"], { stdin: lines }).code).toBe(0);
    const [out, err, code] = await Promise.all([new Response(peek.stdout).text(), new Response(peek.stderr).text(), peek.exited]);
    expect(code).toBe(124);
    expect(seqsOf(out)).toEqual(Array.from({ length: 20_000 }, (_, i) => i + 1));
    expect(err).not.toContain('"notice"'); // --no-notify asked for polling: nothing to say
  }, 60_000);

  test.skipIf(!runnable)(`serve --access read-only run by another user streams history and new messages and stays up${note}`, async () => {
    const dir = poolDir(5000);
    const readyDir = join(root, `ready${n++}`);
    mkdirSync(readyDir, { mode: 0o777 });
    chmodSync(readyDir, 0o777);
    const { proc, url } = await startServe(dir, ["--access", "read-only"], { runAs: AS_NOBODY, readyDir, env: NOBODY_ENV });
    try {
      const res = await fetch(`${url}/v0/pools/p/tail?since_seq=1&max=5010&timeout_ms=10000`);
      expect(res.status).toBe(200);
      const body = res.text();
      await Bun.sleep(300);
      for (let i = 0; i < 10; i++) expect(pls(["--dir", dir, "poke", "p", JSON.stringify({ live: i })]).code).toBe(0);
      expect(seqsOf(await body)).toEqual(Array.from({ length: 5010 }, (_, i) => i + 1));
      // a live-only stream woken by a later append
      const live = fetch(`${url}/v0/pools/p/tail?from=live&max=1&timeout_ms=10000`).then((r) => r.text());
      await Bun.sleep(300);
      expect(pls(["--dir", dir, "poke", "p", '{"last":true}']).code).toBe(0);
      expect(seqsOf(await live)).toEqual([5011]);
      expect(proc.exitCode).toBeNull();
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      proc.kill("SIGTERM");
      await proc.exited;
    }
    const err = await new Response(proc.stderr).text();
    const notices = err.split("\n").filter((l) => l.includes('"notice"'));
    expect(notices.length).toBe(1);
    expect(JSON.parse(notices[0]).notice).toMatchObject({ kind: "polling", cmd: "serve", pool: "p" });
  }, 60_000);
});
