// Remote pools through the real CLI against a real `pls serve` process: poke/get/peek over HTTP, auth, resume
// after the server restarts mid-follow (no duplicates, nothing lost), gap reports, graceful shutdown.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUN, MAIN, errorOf, lines, pls, readyUrl, start, tempRoot } from "./test-harness.ts";
import { checkedTags, dataText } from "../api/message-text.ts";

const root = tempRoot("remote-test");
const procs: Array<ReturnType<typeof Bun.spawn>> = [];
afterAll(() => {
  for (const p of procs) p.kill("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});
let n = 0;

async function startServe(dir: string, extra: string[] = [], bind = "127.0.0.1:0") {
  const ready = join(root, `ready-${n++}`);
  const proc = Bun.spawn([BUN, MAIN, "--dir", dir, "serve", "--bind", bind, ...extra], { env: { ...process.env, PLASMITE_SERVE_READY_FILE: ready }, stdout: "pipe", stderr: "pipe" });
  procs.push(proc);
  const deadline = Date.now() + 10_000;
  while (!existsSync(ready)) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`serve did not start: ${await new Response(proc.stderr).text()}`);
    await Bun.sleep(20);
  }
  return { proc, url: readyUrl(ready, extra) };
}

describe("remote pools from the CLI", () => {
  test("a remote poke stores one-line data exactly as written, as a local one does", async () => {
    const dir = join(root, "exact");
    pls(["--dir", dir, "pool", "create", "x"]);
    const { url } = await startServe(dir);
    const one = '{"id": 12345678901234567890, "f": 1.50}';
    expect(pls(["poke", `${url}/x`, one, "--tag", "t"]).code).toBe(0);
    expect(pls(["poke", `${url}/x`], { stdin: '{"n": 2}\n{\n "pretty": 3\n}\n' }).code).toBe(0);
    const out = pls(["--dir", dir, "peek", "x", "--tail", "3", "--jsonl", "--data-only", "--timeout", "1ms"]).out;
    expect(out).toBe(`${one}\n{"n": 2}\n{"pretty":3}\n`);
    expect(pls(["get", `${url}/x`, "1"]).out).toContain(`"meta":{"tags":["t"]},"data":${one}}`);
    // a remote --data-only cuts .data from the server's envelope text (any member order) the same way
    expect(pls(["peek", `${url}/x`, "--tail", "3", "--jsonl", "--data-only", "--timeout", "200ms"]).out).toBe(out);
  });

  test("poke, get and peek through http://host:port/pool", async () => {
    const dir = join(root, "a");
    pls(["--dir", dir, "pool", "create", "events"]);
    const { url } = await startServe(dir);
    const poke = pls(["poke", `${url}/events`, '{"kind": "deploy"}', "--tag", "ops"]);
    expect(poke.code).toBe(0);
    expect(JSON.parse(poke.out)).toMatchObject({ seq: 1, meta: { tags: ["ops"] } });
    expect(pls(["poke", `${url}/events`], { stdin: '{"n":2}\n{"n":3}\n' }).code).toBe(0);
    expect(JSON.parse(pls(["get", `${url}/events`, "1"]).out)).toMatchObject({ seq: 1, data: { kind: "deploy" } });
    const tail = pls(["peek", `${url}/events`, "--tail", "2", "--timeout", "300ms"]);
    expect(tail.code).toBe(124);
    expect((lines(tail.out) as Array<{ seq: number }>).map((m) => m.seq)).toEqual([2, 3]);
    const tagged = pls(["peek", `${url}/events`, "--tail", "10", "--tag", "ops", "--timeout", "300ms"]);
    expect((lines(tagged.out) as Array<{ seq: number }>).map((m) => m.seq)).toEqual([1]);
    const since = pls(["peek", `${url}/events`, "--since", "1h", "--where", ".data.n >= 2", "--timeout", "300ms"]);
    expect((lines(since.out) as Array<{ seq: number }>).map((m) => m.seq)).toEqual([2, 3]);
    // the live edge: a remote peek does not replay history
    const live = start(["peek", `${url}/events`, "--one"]);
    await Bun.sleep(500);
    pls(["--dir", dir, "poke", "events", '{"fresh": true}']);
    expect(JSON.parse((await live.line())!).data).toEqual({ fresh: true });
    expect(await live.proc.exited).toBe(0);
    const missing = pls(["get", `${url}/nope`, "1"]);
    expect(missing.code).toBe(3);
    expect(errorOf(missing).message).toBe("pool not found: nope");
    expect(pls(["poke", `${url}/created`, "--create", "{}"]).code).toBe(0);
    expect(pls(["peek", `${url}/events`, "--replay", "1", "--tail", "1"]).code).toBe(2);
    expect(pls(["get", "ftp://host/p", "1"]).code).toBe(2);
    expect(pls(["get", `${url}/v0/pools/events`, "1"]).code).toBe(2);
    // a remote follower piped into `head -1` ends once head has exited, though nothing more arrives
    const t0 = performance.now();
    const piped = Bun.spawn(["bash", "-c", `'${BUN}' '${MAIN}' peek '${url}/events' --tail 1 --timeout 20s | head -1; echo "status=\${PIPESTATUS[0]}"`], { stdout: "pipe", stderr: "pipe" });
    const pipedOut = await new Response(piped.stdout).text();
    expect(pipedOut).toContain('"data":{"fresh": true}'); // stored as the local poke wrote it
    expect(pipedOut).toContain("status=0");
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  test("--one, --tail N --one and --tail N end as they do locally (one set of stop rules), filtered or not", async () => {
    const dir = join(root, "rules");
    pls(["--dir", dir, "pool", "create", "r"]);
    for (let i = 0; i < 10; i++) pls(["--dir", dir, "poke", "r", ...(i % 3 === 0 ? ["--tag", "three"] : []), JSON.stringify({ i })]);
    const { url } = await startServe(dir);
    const cases = [
      ["--tail", "3", "--one"],
      ["--tail", "1", "--one"],
      // filters apply to the last N messages the server sends (remote spec): the same as locally when N covers
      // the pool, and the stop rules the same on what they let through
      ["--tag", "three", "--tail", "10", "--timeout", "300ms"],
      ["--tag", "three", "--tail", "10", "--one", "--timeout", "300ms"], // 4 matches of the 10 needed: waits
      ["--where", ".data.i >= 0", "--tail", "10", "--one"],
      ["--where", ".data.i % 3 == 1", "--tail", "10", "--timeout", "300ms"],
      ["--where", ".data.i > 100", "--tail", "10", "--one", "--timeout", "300ms"],
      ["--tail", "20", "--one", "--timeout", "300ms"],
      ["--tail", "4", "--timeout", "300ms"],
      ["--tail", "0", "--one", "--timeout", "300ms"],
    ];
    for (const args of cases) {
      const local = pls(["--dir", dir, "peek", "r", ...args]);
      const remote = pls(["peek", `${url}/r`, ...args]);
      const seqs = (out: string) => lines(out).map((m) => (m as { seq: number }).seq);
      expect({ args, code: remote.code, seqs: seqs(remote.out) }).toEqual({ args, code: local.code, seqs: seqs(local.out) });
    }
    // and the rule's one observable difference from history: N matches reached live
    const waiter = start(["peek", `${url}/r`, "--tail", "11", "--one"]);
    await Bun.sleep(400);
    pls(["--dir", dir, "poke", "r", '{"i": 10}']);
    expect(JSON.parse((await waiter.line(5000))!).seq).toBe(11);
    expect(await waiter.proc.exited).toBe(0);
  });

  test("review regressions: short server tail limit, --since on a quiet pool, --tail N --one, --timeout with --where", async () => {
    const dir = join(root, "rev");
    pls(["--dir", dir, "pool", "create", "q"]);
    for (let i = 1; i <= 5; i++) pls(["--dir", dir, "poke", "q", JSON.stringify({ old: i })]);
    const { url } = await startServe(dir, ["--max-tail-timeout-ms", "1000"]);
    // --tail N --one: the newest of the last N, as locally
    expect(JSON.parse(pls(["peek", `${url}/q`, "--tail", "3", "--one"]).out).seq).toBe(5);
    // a start time in the future on a quiet pool: reconnects (every 1 s here) keep the start, never replay history
    const from = new Date(Date.now() + 300).toISOString();
    const waiter = start(["peek", `${url}/q`, "--since", from, "--one"]);
    await Bun.sleep(2500);
    pls(["--dir", dir, "poke", "q", '{"fresh": true}']);
    expect(JSON.parse((await waiter.line(5000))!).data).toEqual({ fresh: true });
    expect(await waiter.proc.exited).toBe(0);
    // --timeout counts from the last printed message: non-matching traffic does not keep it alive
    const t0 = Date.now();
    const quiet = start(["peek", `${url}/q`, "--where", ".data.m == 1", "--timeout", "1500ms"]);
    let exited: number | null = null;
    void quiet.proc.exited.then((c) => (exited = c));
    for (let i = 0; i < 25 && exited === null; i++) {
      pls(["--dir", dir, "poke", "q", '{"m": 0}']); // non-matching traffic all along
      await Bun.sleep(150);
    }
    expect(await quiet.proc.exited).toBe(124);
    expect(Date.now() - t0).toBeLessThan(4500);
  }, 30_000);

  test("peek --tag --since --one finds a rare message behind a large backlog, even over short connections", async () => {
    const dir = join(root, "needle");
    const { Client } = await import("../api/client.ts");
    const pool = new Client(dir).createPool("hay", { sizeBytes: 32 << 20 });
    const texts = Array.from({ length: 10_000 }, (_, i) => dataText({ i }));
    for (let n = 0; n < 200_000; n += texts.length) pool.appendDataTexts(texts, checkedTags([]));
    pool.appendDataTexts([dataText({ found: true })], checkedTags(["needle"]));
    pool.close();
    // 20 ms connections: each resumes where the server's scan stopped (progress records), not at --since again
    const { url } = await startServe(dir, ["--max-tail-timeout-ms", "20"]);
    const t0 = Date.now();
    const r = pls(["peek", `${url}/hay`, "--tag", "needle", "--since", "1h", "--one", "--timeout", "20s"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ seq: 200_001, data: { found: true } });
    expect(Date.now() - t0).toBeLessThan(15_000);
  }, 40_000);

  test("token auth: missing token is Permission (exit 6); --token-file works", async () => {
    const dir = join(root, "b");
    pls(["--dir", dir, "pool", "create", "p"]);
    const tokenFile = join(root, "token.txt");
    writeFileSync(tokenFile, "t0ken-value\n");
    const { url } = await startServe(dir, ["--token-file", tokenFile]);
    const denied = pls(["poke", `${url}/p`, "{}"]);
    expect(denied.code).toBe(6);
    expect(errorOf(denied).message).toContain("missing bearer token");
    expect(pls(["poke", `${url}/p`, "{}", "--token", "wrong"]).code).toBe(6);
    expect(pls(["poke", `${url}/p`, '{"ok":1}', "--token-file", tokenFile]).code).toBe(0);
    expect(JSON.parse(pls(["get", `${url}/p`, "1", "--token-file", tokenFile]).out).data).toEqual({ ok: 1 });
  });

  test("TLS with the certificate from serve init: trusted with --tls-ca, refused without it", async () => {
    const dir = join(root, "tls");
    const out = join(root, "tls-files");
    const init = pls(["serve", "init", "--output-dir", out, "--bind", "127.0.0.1:9700"]);
    expect(init.code).toBe(0);
    const paths = JSON.parse(init.out).init.artifact_paths;
    expect(init.out).not.toContain(readFileSync(paths.token_file, "utf8").trim());
    pls(["--dir", dir, "pool", "create", "secure"]);
    const { url } = await startServe(dir, ["--token-file", paths.token_file, "--tls-cert", paths.tls_cert, "--tls-key", paths.tls_key]);
    expect(url.startsWith("https://127.0.0.1:")).toBe(true);
    const auth = ["--token-file", paths.token_file];
    expect(pls(["poke", `${url}/secure`, '{"tls":true}', ...auth, "--tls-ca", paths.tls_cert]).code).toBe(0);
    expect(JSON.parse(pls(["get", `${url}/secure`, "1", ...auth, "--tls-ca", paths.tls_cert]).out).data).toEqual({ tls: true });
    const untrusted = pls(["get", `${url}/secure`, "1", ...auth]);
    expect(untrusted.code).toBe(8);
    expect(errorOf(untrusted).hint).toContain("--tls-ca");
    expect(pls(["get", `${url}/secure`, "1", ...auth, "--tls-skip-verify"]).code).toBe(0);
    // refuses to overwrite the artifacts without --force
    expect(pls(["serve", "init", "--output-dir", out]).code).toBe(4);
    // an in-memory self-signed certificate
    const selfSigned = await startServe(dir, ["--tls-self-signed"]);
    expect(pls(["get", `${selfSigned.url}/secure`, "1", "--tls-skip-verify"]).code).toBe(0);
  }, 30_000);

  test("a remote follower resumes after the server restarts: nothing lost, nothing repeated", async () => {
    const dir = join(root, "c");
    pls(["--dir", dir, "pool", "create", "feed"]);
    const first = await startServe(dir);
    const port = new URL(first.url).port;
    const follower = start(["peek", `${first.url}/feed`, "--jsonl"]);
    await Bun.sleep(500);
    pls(["--dir", dir, "poke", "feed", '{"n":1}']);
    expect(JSON.parse((await follower.line())!).data).toEqual({ n: 1 });
    first.proc.kill("SIGTERM");
    expect(await first.proc.exited).toBe(0);
    // written while the server is down: delivered after the restart
    pls(["--dir", dir, "poke", "feed", '{"n":2}']);
    pls(["--dir", dir, "poke", "feed", '{"n":3}']);
    await Bun.sleep(300);
    await startServe(dir, [], `127.0.0.1:${port}`);
    pls(["--dir", dir, "poke", "feed", '{"n":4}']);
    const got: number[] = [];
    for (let i = 0; i < 3; i++) got.push(JSON.parse((await follower.line(10_000))!).data.n);
    expect(got).toEqual([2, 3, 4]);
    expect(await follower.line(500)).toBeNull(); // no duplicates
    follower.proc.kill("SIGINT");
    expect(await follower.proc.exited).toBe(130);
  }, 30_000);

  test("messages overwritten on the server before the follower got them are reported as a drop", async () => {
    const dir = join(root, "d");
    pls(["--dir", dir, "pool", "create", "small", "--size", "16K"]);
    const first = await startServe(dir);
    const port = new URL(first.url).port;
    const follower = start(["peek", `${first.url}/small`, "--jsonl"]);
    await Bun.sleep(500);
    pls(["--dir", dir, "poke", "small", '{"n":0}']);
    expect(JSON.parse((await follower.line())!).seq).toBe(1);
    first.proc.kill("SIGTERM");
    await first.proc.exited;
    const input = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ n: i + 1 })).join("\n");
    pls(["--dir", dir, "poke", "small"], { stdin: input });
    await startServe(dir, [], `127.0.0.1:${port}`);
    const next = JSON.parse((await follower.line(10_000))!);
    expect(next.seq).toBeGreaterThan(2);
    follower.proc.kill("SIGINT");
    await follower.proc.exited;
    const notice = (lines(await follower.stderr()) as Array<{ notice: { kind: string; details: { dropped_count: number; next_seen_seq: number } } }>).find((l) => l.notice?.kind === "drop");
    expect(notice!.notice.details.next_seen_seq).toBe(next.seq);
    expect(notice!.notice.details.dropped_count).toBe(next.seq - 2);
  }, 30_000);

  test("every message a remote peek misses is reported: coalesced notices, the rest flushed when idle and at exit", async () => {
    const dir = join(root, "drops");
    pls(["--dir", dir, "pool", "create", "tiny", "--size", "16K"]);
    const { url } = await startServe(dir);
    const TOTAL = 60_000;
    // Two followers of one burst far larger than the pool: one ends with Ctrl-C as soon as it has the last message
    // (exit flush), the other is killed outright after an idle second and a half (the timer's flush alone).
    const followers = [0, 1].map(() => Bun.spawn([BUN, MAIN, "peek", `${url}/tiny`, "--jsonl"], { env: { ...process.env, NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe" }));
    procs.push(...followers);
    const watchers = followers.map((proc) => {
      // counts lines and remembers the last one's seq (a reader of our own: most of TOTAL lines arrive)
      const state = { lines: 0, lastSeq: 0, reached: Promise.withResolvers<void>() };
      void (async () => {
        const decoder = new TextDecoder();
        let rest = "";
        for await (const chunk of proc.stdout) {
          const text = rest + decoder.decode(chunk, { stream: true });
          const parts = text.split("\n");
          rest = parts.pop()!;
          state.lines += parts.length;
          if (parts.length > 0) state.lastSeq = Number(/^\{"seq":(\d+)/.exec(parts[parts.length - 1])![1]);
          if (state.lastSeq === TOTAL + 1) state.reached.resolve();
        }
      })();
      return state;
    });
    await Bun.sleep(700); // both have pinned the live edge
    pls(["--dir", dir, "poke", "tiny", '{"n":0}']);
    await Bun.sleep(300);
    const input = Array.from({ length: TOTAL }, (_, i) => JSON.stringify({ n: i + 1 })).join("\n");
    expect(pls(["--dir", dir, "poke", "tiny"], { stdin: input }).code).toBe(0);
    const deadline = Bun.sleep(20_000).then(() => "timeout");
    for (const w of watchers) expect(await Promise.race([w.reached.promise.then(() => "ok"), deadline])).toBe("ok");
    followers[0].kill("SIGINT");
    expect(await followers[0].exited).toBe(130);
    await Bun.sleep(1_500);
    followers[1].kill("SIGKILL");
    await followers[1].exited;
    for (const [i, proc] of followers.entries()) {
      const notices = (lines(await new Response(proc.stderr).text()) as Array<{ notice?: { kind: string; details: { dropped_count: number } } }>).filter((l) => l.notice?.kind === "drop");
      const dropped = notices.reduce((sum, l) => sum + l.notice!.details.dropped_count, 0);
      // seqs 1..TOTAL+1: each one printed or counted in a notice, none twice
      expect([i, watchers[i].lines + dropped]).toEqual([i, TOTAL + 1]);
      expect(dropped).toBeGreaterThan(0);
    }
  }, 40_000);

  test("on a terminal, serve says where to go and never shows the token", () => {
    const dir = join(root, "banner");
    const quoted = [BUN, MAIN, "--dir", dir, "serve", "--bind", "127.0.0.1:0", "--token", "t0p-s3cret"].map((a) => `'${a}'`).join(" ");
    const r = Bun.spawnSync(["timeout", "-s", "INT", "3", "script", "-qefc", quoted, "/dev/null"], { env: { ...process.env, NO_COLOR: "1", TERM: "xterm" } });
    const shown = r.stdout.toString();
    expect(shown).toContain("base_url: http://127.0.0.1:");
    expect(shown).toContain("/ui");
    expect(shown).toContain("curl ");
    expect(shown).toContain("value not shown");
    expect(shown).not.toContain("t0p-s3cret");
  });

  test("serve shuts down gracefully on SIGTERM with a stream open; refuses unsafe binds", async () => {
    const dir = join(root, "e");
    pls(["--dir", dir, "pool", "create", "p"]);
    const { proc, url } = await startServe(dir);
    const stream = fetch(`${url}/v0/pools/p/tail?from=live&timeout_ms=30000`).catch(() => null);
    await Bun.sleep(200);
    const t0 = Date.now();
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(3000);
    await stream;
    const unsafe = pls(["--dir", dir, "serve", "--bind", "0.0.0.0:0"]);
    expect(unsafe.code).toBe(2);
    expect(errorOf(unsafe).message).toContain("non-loopback");
    const writes = pls(["--dir", dir, "serve", "--bind", "0.0.0.0:0", "--allow-non-loopback"]);
    expect(writes.code).toBe(2);
    expect(errorOf(writes).message).toContain("--token-file");
    const check = pls(["--dir", dir, "serve", "check", "--bind", "0.0.0.0:9700", "--allow-non-loopback", "--access", "read-only"]);
    expect(check.code).toBe(0);
    expect(JSON.parse(check.out).check).toMatchObject({ status: "valid", access: "read-only", auth: "none", tls: "disabled" });
  }, 30_000);
});
