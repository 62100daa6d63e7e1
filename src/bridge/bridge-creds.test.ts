// --creds against a real nats-server in operator mode: the test signs an operator, an account (JetStream enabled)
// and a user as NATS JWTs with the nkeys the NATS client installs, preloads them in the server's config, and
// writes the user's credentials file (JWT and nkey seed) as `nsc` does. A bridge with that file mirrors; one with
// another user's credentials (signed by an account the server does not know) is Permission (exit 6) at once.
import { afterAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createAccount, createOperator, createUser, type KeyPair } from "@nats-io/nkeys";
import { Client } from "../api/index.ts";
import { tempRoot } from "../cli/test-harness.ts";
import { eventually, freePort, killBridges, natsServerAvailable, NATS_SERVER, startBridge } from "./test-harness.ts";

const root = tempRoot("bridge-creds");
const procs: Array<{ kill(): void; exited: Promise<number> }> = [];
afterAll(async () => {
  await killBridges();
  for (const p of procs) p.kill();
  rmSync(root, { recursive: true, force: true });
});

const b64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString("base64url");

/** A NATS JWT (version 2) of `sub`, signed by `issuer`. */
function natsJwt(issuer: KeyPair, sub: string, name: string, nats: Record<string, unknown>): string {
  const claims: Record<string, unknown> = { iat: Math.floor(Date.now() / 1000), iss: issuer.getPublicKey(), name, sub, nats: { ...nats, version: 2 } };
  claims.jti = createHash("sha256").update(JSON.stringify(claims)).digest("base64url");
  const signed = `${b64url(JSON.stringify({ typ: "JWT", alg: "ed25519-nkey" }))}.${b64url(JSON.stringify(claims))}`;
  return `${signed}.${b64url(issuer.sign(new TextEncoder().encode(signed)))}`;
}

function credsFile(path: string, userJwt: string, seed: Uint8Array): string {
  const text = `-----BEGIN NATS USER JWT-----\n${userJwt}\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${new TextDecoder().decode(seed)}\n------END USER NKEY SEED------\n`;
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

const UNLIMITED = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };
const JETSTREAM = { mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 };

test(`--creds: a user's credentials file mirrors; one the server does not know is Permission (exit 6) at once${natsServerAvailable() ? "" : " (nats-server is missing)"}`, async () => {
  expect(natsServerAvailable()).toBe(true);
  const operator = createOperator();
  const account = createAccount();
  const system = createAccount(); // JetStream in operator mode needs a system account
  const user = createUser();
  const operatorJwt = natsJwt(operator, operator.getPublicKey(), "test-operator", { type: "operator" });
  const accountJwt = natsJwt(operator, account.getPublicKey(), "test-account", { type: "account", limits: { ...UNLIMITED, ...JETSTREAM } });
  const systemJwt = natsJwt(operator, system.getPublicKey(), "SYS", { type: "account", limits: UNLIMITED });
  const userJwt = natsJwt(account, user.getPublicKey(), "test-user", { type: "user", pub: {}, sub: {}, subs: -1, data: -1, payload: -1 });
  const stranger = createUser();
  const strangerJwt = natsJwt(createAccount(), stranger.getPublicKey(), "stranger", { type: "user", pub: {}, sub: {}, subs: -1, data: -1, payload: -1 });

  mkdirSync(join(root, "store"), { recursive: true });
  const port = freePort();
  const conf = join(root, "server.conf");
  writeFileSync(conf, `host: 127.0.0.1\nport: ${port}\noperator: ${operatorJwt}\nsystem_account: ${system.getPublicKey()}\nresolver: MEMORY\nresolver_preload: {\n  ${account.getPublicKey()}: ${accountJwt}\n  ${system.getPublicKey()}: ${systemJwt}\n}\njetstream: { store_dir: "${join(root, "store")}" }\n`);
  const server = Bun.spawn([NATS_SERVER, "-c", conf], { stdout: "ignore", stderr: "pipe" });
  procs.push(server);
  const url = `nats://127.0.0.1:${port}`;
  await eventually(async () => {
    try {
      (await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } })).end();
      return true;
    } catch {
      return false;
    }
  }, 10_000, "nats-server listening");

  const dir = join(root, "a");
  const pool = new Client(dir).createPool("p");
  pool.append({ n: 1 });
  const { bridgeOut } = await import("./index.ts");
  const bridge = bridgeOut({ pool, servers: url, stream: "CREDS", statusFile: false, creds: credsFile(join(root, "user.creds"), userJwt, user.getSeed()) });
  try {
    await eventually(() => bridge.status().published_through === 1, 15_000, "published with --creds");
  } finally {
    await bridge.stop();
    pool.close();
  }

  const started = Date.now();
  const refused = startBridge(dir, ["out", "p", url, "--stream", "CREDS", "--creds", credsFile(join(root, "stranger.creds"), strangerJwt, stranger.getSeed())]);
  expect(await refused.proc.exited).toBe(6);
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(await refused.stderr()).toContain('"kind":"Permission"');
}, 60_000);
