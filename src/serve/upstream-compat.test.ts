// Drop-in compatibility with the Rust plasmite's clients (issue #15): a client written from the Rust server's
// protocol as its spec and examples describe it (request shapes, the members its client requires, status and
// error kinds, JSON Lines and SSE tails), run against a real `pls serve` found the way the Rust test harness
// finds it (PLASMITE_SERVE_READY_FILE holding the bound IP:PORT). Also the Rust CLI's `serve` argument order.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUN, MAIN, pls, tempRoot } from "../cli/test-harness.ts";

const root = tempRoot("upstream-compat");
const procs: Array<ReturnType<typeof Bun.spawn>> = [];
afterAll(() => {
  for (const p of procs) p.kill("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});
let n = 0;

/** As the Rust harness does: start `serve --bind 127.0.0.1:0`, poll the ready file, parse it as a socket address. */
async function startLikeUpstream(dir: string, extra: string[] = []): Promise<{ base: string; address: string }> {
  const ready = join(root, `ready-${n++}`);
  const proc = Bun.spawn([BUN, MAIN, "--dir", dir, "serve", "--bind", "127.0.0.1:0", ...extra], { env: { ...process.env, PLASMITE_SERVE_READY_FILE: ready }, stdout: "ignore", stderr: "pipe" });
  procs.push(proc);
  const deadline = Date.now() + 15_000;
  while (!existsSync(ready)) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`serve did not start: ${await new Response(proc.stderr).text()}`);
    await Bun.sleep(5);
  }
  const address = readFileSync(ready, "utf8");
  // Rust: `address.trim().parse::<SocketAddr>()`, then format!("{scheme}://{address}")
  const m = /^(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:]+\]):(\d{1,5})$/.exec(address.trim());
  if (!m) throw new Error(`ready file is not IP:PORT: ${JSON.stringify(address)}`);
  return { base: `http://${address.trim()}`, address };
}

class RemoteError extends Error {
  constructor(
    readonly status: number,
    readonly kind: string,
    message: string,
    readonly seq?: number,
  ) {
    super(message);
  }
}

interface PoolInfo {
  name?: string;
  path: string;
  file_size: number;
  index_offset?: number;
  index_capacity?: number;
  ring_offset: number;
  ring_size: number;
  bounds?: { oldest: number | null; newest: number | null };
  metrics?: { message_count: number; seq_span: number; utilization: { used_bytes: number; free_bytes: number; used_percent: number }; age: Record<string, unknown> };
}
interface Message {
  seq: number;
  time: string;
  meta: { tags: string[] };
  data: unknown;
}

/** What the Rust RemoteClient requires of a pool-info object (serde fails the whole call without these). */
function poolInfoFrom(v: unknown): PoolInfo {
  const p = v as PoolInfo;
  for (const key of ["path"] as const) if (typeof p[key] !== "string") throw new Error(`pool info without ${key}: ${JSON.stringify(v)}`);
  for (const key of ["file_size", "ring_offset", "ring_size"] as const) if (typeof p[key] !== "number") throw new Error(`pool info without ${key}: ${JSON.stringify(v)}`);
  if (p.metrics) for (const key of ["message_count", "seq_span", "utilization", "age"] as const) if (!(key in p.metrics)) throw new Error(`metrics without ${key}`);
  return p;
}
function messageFrom(v: unknown): Message {
  const m = v as Message;
  if (typeof m.seq !== "number" || typeof m.time !== "string" || !Array.isArray(m.meta?.tags) || !("data" in m)) throw new Error(`not a message: ${JSON.stringify(v)}`);
  return m;
}

/** A client for protocol v0 written from the Rust server's documented requests and answers. */
class UpstreamClient {
  constructor(
    private readonly base: string,
    private readonly token?: string,
  ) {}

  private headers(json: boolean): Record<string, string> {
    return { accept: "application/json", ...(json ? { "content-type": "application/json" } : {}), ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) };
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(this.base + path, { method, headers: this.headers(body !== undefined), body: body === undefined ? undefined : JSON.stringify(body) });
    expect(res.headers.get("plasmite-version")).toBe("0");
    const text = await res.text();
    if (!res.ok) {
      const e = (JSON.parse(text) as { error: { kind: string; message?: string; seq?: number } }).error;
      throw new RemoteError(res.status, e.kind, e.message ?? "", e.seq);
    }
    return JSON.parse(text);
  }

  async createPool(pool: string, sizeBytes = 1048576): Promise<PoolInfo> {
    return poolInfoFrom(((await this.call("POST", "/v0/pools", { pool, size_bytes: sizeBytes })) as { pool: unknown }).pool);
  }
  async openPool(pool: string): Promise<PoolInfo> {
    return poolInfoFrom(((await this.call("POST", "/v0/pools/open", { pool })) as { pool: unknown }).pool);
  }
  async poolInfo(pool: string): Promise<PoolInfo> {
    return poolInfoFrom(((await this.call("GET", `/v0/pools/${pool}/info`)) as { pool: unknown }).pool);
  }
  async listPools(path = "/v0/pools"): Promise<PoolInfo[]> {
    return ((await this.call("GET", path)) as { pools: unknown[] }).pools.map(poolInfoFrom);
  }
  async deletePool(pool: string): Promise<unknown> {
    return this.call("DELETE", `/v0/pools/${pool}`);
  }
  async append(pool: string, data: unknown, tags: string[] = [], durability = "fast"): Promise<Message> {
    return messageFrom(((await this.call("POST", `/v0/pools/${pool}/append`, { data, tags, durability })) as { message: unknown }).message);
  }
  async getMessage(pool: string, seq: number): Promise<Message> {
    return messageFrom(((await this.call("GET", `/v0/pools/${pool}/messages/${seq}`)) as { message: unknown }).message);
  }
  /** JSON Lines: one envelope per line; the stream ends at `max` or `timeout_ms`. */
  async tail(pool: string, q: { since_seq?: number; max?: number; timeout_ms?: number; tags?: string[] }): Promise<Message[]> {
    const params = new URLSearchParams();
    if (q.since_seq !== undefined) params.append("since_seq", String(q.since_seq));
    if (q.max !== undefined) params.append("max", String(q.max));
    if (q.timeout_ms !== undefined) params.append("timeout_ms", String(q.timeout_ms));
    for (const t of q.tags ?? []) params.append("tag", t);
    const res = await fetch(`${this.base}/v0/pools/${pool}/tail?${params}`, { headers: this.headers(false) });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("application/jsonl");
    return (await res.text()).split("\n").filter((l) => l !== "").map((l) => messageFrom(JSON.parse(l)));
  }
  /** The UI's SSE route: `event: message` frames whose data is an envelope. */
  async events(pool: string, q: string): Promise<Message[]> {
    const res = await fetch(`${this.base}/v0/ui/pools/${pool}/events?${q}`, { headers: this.headers(false) });
    expect(res.headers.get("content-type")).toStartWith("text/event-stream");
    const out: Message[] = [];
    for (const block of (await res.text()).split("\n\n")) {
      const fields = block.split("\n");
      if (!fields.includes("event: message")) continue;
      out.push(messageFrom(JSON.parse(fields.find((f) => f.startsWith("data: "))!.slice(6))));
    }
    return out;
  }
}

const rejection = async (p: Promise<unknown>): Promise<RemoteError> => {
  try {
    await p;
  } catch (err) {
    if (err instanceof RemoteError) return err;
    throw err;
  }
  throw new Error("expected a refusal");
};

describe("a client written from the Rust protocol, against pls serve", () => {
  test("ready file, pools, append, fetch, tails, delete: every answer has the members that client requires", async () => {
    const dir = join(root, "pools");
    const { base, address } = await startLikeUpstream(dir);
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/); // exactly IP:PORT, as the Rust server writes it
    const c = new UpstreamClient(base);

    const created = await c.createPool("chat", 65536);
    expect(created).toMatchObject({ name: "chat", path: "chat.plasmite", file_size: 65536 });
    expect(JSON.stringify(created)).not.toContain(dir); // the server's directory stays private
    expect((await rejection(c.createPool("chat"))).status).toBe(409);
    expect((await c.openPool("chat")).path).toBe("chat.plasmite");

    const first = await c.append("chat", { from: "alice", msg: "hello" }, ["greeting"]);
    expect(first).toMatchObject({ seq: 1, meta: { tags: ["greeting"] }, data: { from: "alice", msg: "hello" } });
    await c.append("chat", { from: "bob", msg: "hi" }, [], "flush");
    expect(await c.getMessage("chat", 1)).toEqual(first);

    // a seq no message has: 404 NotFound (with the seq), for 0 as for one past the newest
    for (const seq of [0, 3]) {
      const e = await rejection(c.getMessage("chat", seq));
      expect([seq, e.status, e.kind, e.seq]).toEqual([seq, 404, "NotFound", seq]);
    }
    expect((await rejection(c.poolInfo("missing"))).kind).toBe("NotFound");

    const info = await c.poolInfo("chat");
    expect(info).toMatchObject({ name: "chat", path: "chat.plasmite", bounds: { oldest: 1, newest: 2 }, metrics: { message_count: 2 } });
    for (const path of ["/v0/pools", "/v0/ui/pools"]) expect((await c.listPools(path)).map((p) => [p.name, p.path])).toEqual([["chat", "chat.plasmite"]]);

    // tails: from the oldest without since_seq (as the Rust server), max, tags, timeout_ms
    expect((await c.tail("chat", { max: 2, timeout_ms: 2000 })).map((m) => m.seq)).toEqual([1, 2]);
    expect((await c.tail("chat", { since_seq: 2, timeout_ms: 300 })).map((m) => m.data)).toEqual([{ from: "bob", msg: "hi" }]);
    expect((await c.tail("chat", { tags: ["greeting"], timeout_ms: 300 })).map((m) => m.seq)).toEqual([1]);
    expect((await c.events("chat", "since_seq=1&max=2&timeout_ms=2000")).map((m) => m.seq)).toEqual([1, 2]);

    expect(await c.deletePool("chat")).toEqual({ ok: true });
    expect((await rejection(c.deletePool("chat"))).status).toBe(404);
  }, 30_000);

  test("bearer token and access modes: 401 without the token, 403 for the mode, kind Permission", async () => {
    const dir = join(root, "secured");
    const tokenFile = join(root, "token.txt");
    writeFileSync(tokenFile, "s3cret\n");
    const { base } = await startLikeUpstream(dir, ["--token-file", tokenFile, "--access", "read-only"]);
    const anonymous = await rejection(new UpstreamClient(base).listPools());
    expect([anonymous.status, anonymous.kind]).toEqual([401, "Permission"]);
    const wrong = await rejection(new UpstreamClient(base, "nope").listPools());
    expect([wrong.status, wrong.kind]).toEqual([401, "Permission"]);
    const c = new UpstreamClient(base, "s3cret");
    expect(await c.listPools()).toEqual([]);
    const write = await rejection(c.createPool("x"));
    expect([write.status, write.kind]).toEqual([403, "Permission"]);
  }, 30_000);
});

describe("the Rust CLI's serve argument order", () => {
  test("serve options before check or init are accepted, as after it", () => {
    const before = pls(["serve", "--bind", "127.0.0.1:9799", "--access", "read-only", "check", "--json"]);
    expect(before.code).toBe(0);
    const after = pls(["serve", "check", "--bind", "127.0.0.1:9799", "--access", "read-only", "--json"]);
    expect(JSON.parse(before.out)).toEqual(JSON.parse(after.out));
    expect(JSON.parse(before.out).check).toMatchObject({ listen: "127.0.0.1:9799", access: "read-only" });

    const out = join(root, "init-before");
    const init = pls(["serve", "--bind", "127.0.0.1:9798", "init", "--output-dir", out]);
    expect(init.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["plasmite-auth-token.txt", "plasmite-tls-cert.pem", "plasmite-tls-key.pem"]);
    expect(JSON.parse(init.out).init.next_commands[0]).toContain("--bind 127.0.0.1:9798");
    // an option init does not take is refused by name, as after it
    const wrong = pls(["serve", "--access", "read-only", "init", "--output-dir", join(root, "init-wrong")]);
    expect(wrong.code).toBe(2);
    expect(JSON.parse(wrong.err).error.message).toBe("unknown option '--access' for `serve init`");
    expect(existsSync(join(root, "init-wrong"))).toBe(false);
    expect(JSON.parse(pls(["serve", "frobnicate"]).err).error.message).toBe("unexpected argument 'frobnicate' for `serve`");
  });
});
