// The bridge's NATS options against a real nats-server: a token (right: mirrored; wrong: Permission, exit 6, at
// once) and TLS with a CA file (a self-signed certificate written by `pls serve init`: trusted with --tls-ca,
// refused without it). User/password is in bridge.test.ts.
import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { Client } from "../api/index.ts";
import { pls, tempRoot } from "../cli/test-harness.ts";
import { eventually, killBridges, natsServerAvailable, startBridge, startNats } from "./test-harness.ts";

const root = tempRoot("bridge-auth");
afterAll(async () => {
  await killBridges();
  rmSync(root, { recursive: true, force: true });
});

const note = natsServerAvailable() ? "" : " (nats-server is missing: apt-get install -y nats-server)";

/** A pool with one message in its own directory, and a library bridge out of it with `extra` options. */
async function mirrorOne(dir: string, url: string, stream: string, extra: Record<string, string>) {
  const pool = new Client(dir).createPool("p");
  pool.append({ n: 1 });
  const { bridgeOut } = await import("./index.ts");
  const bridge = bridgeOut({ pool, servers: url, stream, statusFile: false, ...extra });
  try {
    await eventually(() => bridge.status().published_through === 1, 15_000, `${stream}: the message published`);
  } finally {
    await bridge.stop();
    pool.close();
  }
}

test(`--token: the right token mirrors, a wrong one is Permission (exit 6) at once${note}`, async () => {
  expect(natsServerAvailable()).toBe(true);
  const nats = await startNats(join(root, "token"), ["--auth", "s3cret-token"]);
  try {
    await mirrorOne(join(root, "token-a"), nats.url, "TOK", { token: "s3cret-token" });
    const started = Date.now();
    const wrong = startBridge(join(root, "token-a"), ["out", "p", nats.url, "--stream", "TOK", "--token", "not-it"]);
    expect(await wrong.proc.exited).toBe(6);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await wrong.stderr()).toContain('"kind":"Permission"');
  } finally {
    await nats.stop();
  }
}, 60_000);

test(`--tls-ca: a server with a self-signed certificate is trusted with it and refused without it (exit 8 at once, naming --tls-ca)${note}`, async () => {
  expect(natsServerAvailable()).toBe(true);
  const certs = join(root, "certs");
  expect(pls(["serve", "init", "--output-dir", certs, "--bind", "127.0.0.1:4222"]).code).toBe(0);
  const cert = join(certs, "plasmite-tls-cert.pem");
  const key = join(certs, "plasmite-tls-key.pem");
  const nats = await startNats(join(root, "tls"), ["--tls", "--tlscert", cert, "--tlskey", key]);
  try {
    await mirrorOne(join(root, "tls-a"), nats.url, "TLS", { tlsCa: cert });
    // without the CA the certificate is not trusted: retrying cannot fix that, so the bridge stops at once (8)
    const started = Date.now();
    const untrusted = startBridge(join(root, "tls-a"), ["out", "p", nats.url, "--stream", "TLS2"]);
    expect(await untrusted.proc.exited).toBe(8);
    expect(Date.now() - started).toBeLessThan(5_000);
    const err = await untrusted.stderr();
    expect(err).toContain('"kind":"Io"');
    expect(err).toContain("--tls-ca");
  } finally {
    await nats.stop();
  }
}, 60_000);
