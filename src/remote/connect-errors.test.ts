// Remote commands against real `pls serve` processes with real certificates: every connection or certificate
// problem ends peek, get and poke with exit 8 in bounded time and a message naming the problem; serve shows
// the certificate it serves.
import { afterAll, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUN, MAIN, errorOf, pls, startServe, tempRoot } from "../cli/test-harness.ts";
import { generateSelfSigned } from "../serve/tls.ts";
import { RemoteClient } from "./client.ts";

const root = tempRoot("connect-errors-test");
const procs: Array<ReturnType<typeof Bun.spawn>> = [];
afterAll(() => {
  for (const p of procs) p.kill("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});

/** Every failure below must be reported well within this (a hang is what this file guards against). */
const DEADLINE_MS = 15_000;

/** `pls ARGS`, killed at DEADLINE_MS; with the time it took. */
async function run(args: string[]): Promise<{ code: number; out: string; err: string; ms: number }> {
  const t0 = performance.now();
  const proc = Bun.spawn([BUN, MAIN, ...args], { env: { ...process.env, NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), DEADLINE_MS);
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, out, err, ms: performance.now() - t0 };
}

/** The three remote commands (peek from history, peek at the live edge, get, poke), with `extra` flags. */
const commands = (url: string, extra: string[]) => [
  ["peek", url, "--tail", "1", ...extra],
  ["peek", url, ...extra],
  ["get", url, "1", ...extra],
  ["poke", url, "{}", ...extra],
];

async function expectFailure(args: string[]) {
  const r = await run(args);
  expect(r.code).toBe(8);
  expect(r.ms).toBeLessThan(DEADLINE_MS);
  const e = errorOf(r);
  expect(e.kind).toBe("Io");
  expect(`${e.message} ${e.hint}`).not.toContain("verbose");
  return e;
}

/** A pool directory with pool `p` holding one message, served over TLS with the given files. */
async function serveTls(label: string, cert: string, key: string) {
  const dir = join(root, label);
  pls(["--dir", dir, "pool", "create", "p"]);
  pls(["--dir", dir, "poke", "p", "{}"]);
  const server = await startServe(dir, ["--tls-cert", cert, "--tls-key", key]);
  procs.push(server.proc);
  return server;
}

function writePair(label: string, pair: { certPem: string; keyPem: string }) {
  const dir = join(root, label);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "cert.pem"), pair.certPem);
  writeFileSync(join(dir, "key.pem"), pair.keyPem);
  return { cert: join(dir, "cert.pem"), key: join(dir, "key.pem") };
}

describe("certificate problems end remote commands with exit 8 and say which", () => {
  test("no --tls-ca: the certificate is not trusted; the hint says --tls-ca and the message the server's SHA-256", async () => {
    const init = pls(["serve", "init", "--output-dir", join(root, "init-a"), "--bind", "127.0.0.1:9700"]);
    const { tls_cert, tls_key } = JSON.parse(init.out).init.artifact_paths;
    const { url } = await serveTls("untrusted", tls_cert, tls_key);
    const sha = new X509Certificate(readFileSync(tls_cert, "utf8")).fingerprint256;
    for (const args of commands(`${url}/p`, [])) {
      const e = await expectFailure(args);
      expect(e.message).toContain("not trusted");
      expect(e.message).toContain(sha);
      expect(e.hint).toContain("Pass --tls-ca with the server's certificate");
    }
    // with the right certificate the same commands work
    expect((await run(["get", `${url}/p`, "1", "--tls-ca", tls_cert])).code).toBe(0);
  }, 60_000);

  test("another certificate as --tls-ca: says it does not match, with both fingerprints", async () => {
    const served = writePair("mismatch-served", await generateSelfSigned(["localhost", "127.0.0.1"]));
    const other = writePair("mismatch-other", await generateSelfSigned(["localhost", "127.0.0.1"]));
    const { url } = await serveTls("mismatch", served.cert, served.key);
    for (const args of commands(`${url}/p`, ["--tls-ca", other.cert])) {
      const e = await expectFailure(args);
      expect(e.message).toContain("does not match --tls-ca");
      expect(e.message).toContain(new X509Certificate(readFileSync(served.cert, "utf8")).fingerprint256);
      expect(e.message).toContain(new X509Certificate(readFileSync(other.cert, "utf8")).fingerprint256);
      expect(e.hint).toContain("the certificate the server was started with");
    }
  }, 60_000);

  test("a certificate that does not cover the host in the URL: lists the names it covers and how to add one", async () => {
    const pair = writePair("name", await generateSelfSigned(["example.invalid", "10.9.9.9"]));
    const { url } = await serveTls("name", pair.cert, pair.key);
    for (const args of commands(`${url}/p`, ["--tls-ca", pair.cert])) {
      const e = await expectFailure(args);
      expect(e.message).toContain("does not cover the name '127.0.0.1' (it covers example.invalid, 10.9.9.9)");
      expect(e.hint).toContain("pls serve init --san 127.0.0.1");
    }
    // untrusted and the wrong name: both are said at once
    const both = await expectFailure(["get", `${url}/p`, "1"]);
    expect(both.hint).toContain("does not cover the name '127.0.0.1'");
  }, 60_000);

  test("an expired certificate says so", async () => {
    const day = 86_400_000;
    const pair = writePair("expired", await generateSelfSigned(["localhost", "127.0.0.1"], { notBefore: new Date(Date.now() - 10 * day), validityMs: day }));
    const { url } = await serveTls("expired", pair.cert, pair.key);
    const e = await expectFailure(["peek", `${url}/p`, "--tail", "1", "--tls-ca", pair.cert]);
    expect(e.message).toContain("has expired");
    expect(e.hint).toContain("pls serve init --force");
  }, 30_000);
});

describe("connection problems", () => {
  test("nothing listening: connection refused, at once, for every command", async () => {
    const { proc, url } = await startServe(join(root, "gone"));
    proc.kill("SIGKILL");
    await proc.exited;
    for (const args of commands(`${url}/p`, [])) {
      const e = await expectFailure(args);
      expect(e.message).toContain("connection refused");
      expect(e.hint).toContain("Is `pls serve` running");
    }
  }, 60_000);

  test("http:// to a TLS server and https:// to a plain one name the scheme", async () => {
    const pair = writePair("scheme", await generateSelfSigned(["localhost", "127.0.0.1"]));
    const tls = await serveTls("scheme-tls", pair.cert, pair.key);
    const plainHttp = await expectFailure(["get", `${tls.url.replace("https:", "http:")}/p`, "1"]);
    expect(plainHttp.hint).toContain("use https://");
    const plain = await startServe(join(root, "scheme-plain"));
    procs.push(plain.proc);
    const overTls = await expectFailure(["peek", `${plain.url.replace("http:", "https:")}/p`, "--tail", "1"]);
    expect(overTls.message).toContain("TLS handshake failed");
    expect(overTls.hint).toContain("http://");
  }, 30_000);

  test("a follower whose server went away gives up after reconnectLimitMs, saying why", async () => {
    const dir = join(root, "limit");
    pls(["--dir", dir, "pool", "create", "p"]);
    const { proc, url } = await startServe(dir);
    const tail = new RemoteClient(url).openPool("p").tailLines({ reconnectLimitMs: 1500 });
    const first = tail.next();
    pls(["--dir", dir, "poke", "p", '{"n":1}']);
    expect((await first).value?.seq).toBe(1);
    proc.kill("SIGKILL");
    await proc.exited;
    const t0 = performance.now();
    const err = await tail.next().then(
      () => null,
      (e: Error) => e,
    );
    expect(performance.now() - t0).toBeLessThan(6000);
    expect(err?.message).toMatch(/connection refused .*\(retried for \d+ s after the connection was lost\)/);
  }, 30_000);
});
