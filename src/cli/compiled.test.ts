// The compiled `pls` binary, copied alone into an empty folder with no Bun and no C compiler on PATH and a
// noexec $TMPDIR: poke, peek --where (jq's wasm is embedded), get, doctor, and serve with the web UI and tail
// streams woken by appends (the futex watcher's worker). The native
// shim is loaded from memory (memfd), never extracted to disk. A .env or bunfig.toml in the folder is ignored.
import { afterAll, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBinary } from "../../scripts/build.ts";

const work = mkdtempSync(join(tmpdir(), "plasmite-compiled-"));
const noexec = join(work, "noexec-tmp");
let mounted = false;
afterAll(() => {
  if (mounted) Bun.spawnSync(["umount", noexec]);
  rmSync(work, { recursive: true, force: true });
});

test("compiled binary alone in an empty folder: poke, peek --where, get, doctor, serve + UI", async () => {
  buildBinary(join(work, "build", "pls"));
  const empty = join(work, "empty");
  mkdirSync(empty);
  copyFileSync(join(work, "build", "pls"), join(empty, "pls"));
  Bun.spawnSync(["chmod", "+x", join(empty, "pls")]);
  mkdirSync(noexec);
  // A noexec tmpfs needs root; elsewhere TMPDIR is still a private empty folder (and nothing may appear in it).
  mounted = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "noexec,size=4m", "tmpfs", noexec]).exitCode === 0;
  console.log(`compiled.test: TMPDIR is ${mounted ? "a noexec tmpfs" : "a private empty folder (could not mount noexec: not root)"}`);
  // Nothing on PATH at all (no bun, no C compiler, no node): the binary needs none of them.
  const env = { PATH: join(empty, "no-such-dir"), HOME: empty, TMPDIR: noexec, NO_COLOR: "1" };
  const run = (...args: string[]) => {
    const r = Bun.spawnSync([join(empty, "pls"), ...args], { cwd: empty, env });
    return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
  };
  // A .env or bunfig.toml in the working directory is the user's project's, not pls configuration: ignored.
  await Bun.write(join(empty, ".env"), "PLASMITE_DIR=from-dotenv\n");
  await Bun.write(join(empty, "bunfig.toml"), 'preload = ["./evil.ts"]\n');
  await Bun.write(join(empty, "evil.ts"), 'require("node:fs").writeFileSync("evil-ran", "");\n');
  expect(run("poke", "home", "--create", "{}").code).toBe(0);
  expect(existsSync(join(empty, ".plasmite", "pools", "home.plasmite"))).toBe(true);
  const poke = run("--dir", "pools", "poke", "chat", "--create", '{"msg":"from the binary","n":1}');
  expect(poke.err).toBe("");
  expect(poke.code).toBe(0);
  expect(run("--dir", "pools", "poke", "chat", '{"msg":"second","n":2}').code).toBe(0);
  expect(JSON.parse(run("--dir", "pools", "get", "chat", "1").out).data).toEqual({ msg: "from the binary", n: 1 });
  const where = run("--dir", "pools", "peek", "chat", "--tail", "10", "--where", '.data.msg | test("sec")', "--timeout", "200ms");
  expect(where.code).toBe(124);
  expect(JSON.parse(where.out).data.n).toBe(2);
  expect(JSON.parse(run("--dir", "pools", "doctor", "chat").out).reports[0].status).toBe("ok");
  expect(JSON.parse(run("version", "--json").out).native).toBe("shim");

  // serve, with the UI page embedded
  const ready = join(empty, "ready");
  const serve = Bun.spawn([join(empty, "pls"), "--dir", "pools", "serve", "--bind", "127.0.0.1:0"], { cwd: empty, env: { ...env, PLASMITE_SERVE_READY_FILE: ready }, stderr: "pipe" });
  const deadline = Date.now() + 10_000;
  while (!existsSync(ready) && Date.now() < deadline) await Bun.sleep(20);
  const url = `http://${readFileSync(ready, "utf8").trim()}`; // the bound IP:PORT
  const page = await fetch(`${url}/ui`);
  expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
  expect(await page.text()).toContain("plasmite");
  const appended = await fetch(`${url}/v0/pools/chat/append`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ data: { via: "http" } }) });
  expect(((await appended.json()) as { message: { seq: number } }).message.seq).toBe(3);
  const tail = await (await fetch(`${url}/v0/pools/chat/tail?since_seq=3&max=1`)).text();
  expect(JSON.parse(tail).data).toEqual({ via: "http" });
  // A waiting tail stream is woken by the append itself: the futex watcher's worker runs from its Blob in the
  // compiled (minified) binary. Were it broken, the streams' 250 ms re-check would find each message ~220 ms late.
  const lateness: number[] = [];
  for (let seq = 4; seq <= 8; seq++) {
    const answer = fetch(`${url}/v0/pools/chat/tail?since_seq=${seq}&max=1&timeout_ms=5000`).then(async (r) => ({ text: await r.text(), at: performance.now() }));
    await Bun.sleep(30);
    const t0 = performance.now();
    await fetch(`${url}/v0/pools/chat/append`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ data: { seq } }) });
    const { text, at } = await answer;
    expect(JSON.parse(text).data).toEqual({ seq });
    lateness.push(at - t0);
  }
  expect(lateness.sort((a, b) => a - b)[2]).toBeLessThan(120);
  serve.kill("SIGTERM");
  expect(await serve.exited).toBe(0);

  expect(readdirSync(noexec)).toEqual([]); // nothing extracted
  expect(readdirSync(empty).sort()).toEqual([".env", ".plasmite", "bunfig.toml", "evil.ts", "pls", "pools", "ready"]);
}, 90_000);
