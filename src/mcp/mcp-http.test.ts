// /mcp on a real `pls serve` (127.0.0.1), driven by the official SDK's client over Streamable HTTP: the tools, a
// wait released by a poke from another process, and the server's rules applied to MCP as to /v0: token, access
// mode, Origin, Host, body type and size, tail timeout and concurrency limits.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { BUN, MAIN, startServe, tempRoot } from "../cli/test-harness.ts";
import { READ_TOOLS, WRITE_TOOLS, httpAgent, nowWallMs, runPls, stdioAgent, wallMs, type Launcher } from "./test-harness.ts";

const root = tempRoot("mcp-http");
const servers: Array<{ proc: { kill(signal?: number | NodeJS.Signals): void } }> = [];
afterAll(() => {
  for (const s of servers) s.proc.kill("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});
let n = 0;
const freshDir = () => {
  const d = join(root, `pools-${++n}`);
  mkdirSync(d);
  return d;
};
const launcher: Launcher = { command: BUN, prefix: [MAIN], env: { ...(process.env as Record<string, string>), NO_COLOR: "1" } };

async function serve(dir: string, extra: string[] = []) {
  const s = await startServe(dir, extra);
  servers.push(s);
  return s;
}

/** A JSON-RPC POST to /mcp as a browser or script would send it. */
function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${url}/mcp`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}
const INIT = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } } };
const feedCall = (pool: string) => ({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "plasmite_feed", arguments: { pool, data: { via: "raw" }, create: true } } });

describe("MCP at /mcp on pls serve", () => {
  test("the listening line names /mcp; every tool over HTTP; a wait released by a poke from another process", async () => {
    const dir = freshDir();
    const { proc, url } = await serve(dir);
    const reader = proc.stderr.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    reader.releaseLock();
    expect(JSON.parse(first.split("\n")[0]).mcp).toBe(`${url}/mcp`);

    const a = await httpAgent(url);
    try {
      expect(a.client.getInstructions()).toContain("plasmite_wait");
      expect((await a.client.listTools()).tools.map((t) => t.name).sort()).toEqual([...READ_TOOLS, ...WRITE_TOOLS].sort());
      expect((await a.call("plasmite_pool_create", { name: "h" })).s.pool.name).toBe("h");
      expect((await a.call("plasmite_feed", { pool: "h", data: { n: 1 }, tags: ["t"] })).s.message.seq).toBe(1);
      expect((await a.call("plasmite_fetch", { pool: "h", seq: 1 })).s.message.data).toEqual({ n: 1 });
      expect((await a.call("plasmite_pool_info", { pool: "h" })).s.pool.bounds).toEqual({ oldest: 1, newest: 1 });
      expect((await a.call("plasmite_read", { pool: "h", tags: ["t"] })).s.messages).toHaveLength(1);
      expect((await a.call("plasmite_pool_list")).s.pools.map((p: { name: string }) => p.name)).toEqual(["h"]);
      expect((await a.call("plasmite_pool_create", { name: "h" })).s.error_kind).toBe("AlreadyExists");
      expect((await a.call("plasmite_read", { pool: "h", nonsense: true })).s.error_kind).toBe("Usage");
      const page = JSON.parse(((await a.client.readResource({ uri: "plasmite:///pools/h" })).contents[0] as { text: string }).text);
      expect(page.messages[0].data).toEqual({ n: 1 });

      const latencies: number[] = [];
      for (let i = 2; i <= 6; i++) {
        const waiting = a.call("plasmite_wait", { pool: "h", timeout_ms: 30_000 });
        await Bun.sleep(150);
        expect(runPls(launcher, ["--dir", dir, "poke", "h", JSON.stringify({ n: i })]).code).toBe(0);
        const r = await waiting;
        const received = nowWallMs();
        expect(r.s).toMatchObject({ timed_out: false, last_returned_seq: i });
        latencies.push(received - wallMs(r.s.messages[0].time));
      }
      latencies.sort((x, y) => x - y);
      console.log(`mcp wait (HTTP): appended by another process -> wait result at the agent: median ${latencies[2].toFixed(2)} ms, max ${latencies[4].toFixed(2)} ms`);
      expect(latencies[2]).toBeLessThan(100);
      const t0 = performance.now();
      expect((await a.call("plasmite_wait", { pool: "h", timeout_ms: 300 })).s).toMatchObject({ timed_out: true, messages: [] });
      expect(performance.now() - t0).toBeGreaterThanOrEqual(290);

      // an agent on stdio and one over HTTP share the pool: one hands work, the other picks it up
      const b = await stdioAgent(launcher, dir);
      try {
        const waiting = a.call("plasmite_wait", { pool: "h", after_seq: 6, where: '.data.job == "resize"' });
        await b.call("plasmite_feed", { pool: "h", data: { job: "noise" } });
        await b.call("plasmite_feed", { pool: "h", data: { job: "resize" } });
        expect((await waiting).s.messages.map((m: { data: unknown }) => m.data)).toEqual([{ job: "resize" }]);
      } finally {
        await b.close();
      }
      expect((await a.call("plasmite_pool_delete", { pool: "h" })).s).toEqual({ deleted: { pool: "h" } });
    } finally {
      await a.close();
    }
  }, 60_000);

  test("the rules of /v0 hold for /mcp: methods, body type and size, Origin, Host", async () => {
    const dir = freshDir();
    const { url } = await serve(dir, ["--max-body-bytes", "2000", "--cors-origin", "https://app.example"]);
    const get = await fetch(`${url}/mcp`);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect((await fetch(`${url}/mcp`, { method: "DELETE" })).status).toBe(405);
    const plain = await post(url, feedCall("x"), { "content-type": "text/plain" });
    expect(plain.status).toBe(415);
    expect(((await plain.json()) as { error: { kind: string } }).error.kind).toBe("Usage");
    expect((await post(url, { ...feedCall("x"), pad: "y".repeat(3000) })).status).toBe(413);
    expect((await post(url, "{not json")).status).toBe(400);
    expect((await post(url, feedCall("x"), { accept: "application/json" })).status).toBe(406);
    // a page from another origin can reach no tool (read tools included), a --cors-origin page can
    expect((await post(url, INIT, { origin: "https://evil.example" })).status).toBe(403);
    const allowed = await post(url, INIT, { origin: "https://app.example" });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example");
    const preflight = await fetch(`${url}/mcp`, { method: "OPTIONS", headers: { origin: "https://app.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type, mcp-protocol-version" } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-headers")).toContain("Mcp-Protocol-Version");
    // DNS rebinding: a Host this server does not answer for
    expect((await post(url, INIT, { host: "rebind.example:80" })).status).toBe(421);
    // none of those wrote anything; a plain JSON-RPC call does
    expect(runPls(launcher, ["--dir", dir, "pool", "list", "--json"]).out).not.toContain('"x"');
    const ok = await post(url, feedCall("x"));
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { result: { structuredContent: { message: { seq: number } } } }).result.structuredContent.message.seq).toBe(1);
  }, 60_000);

  test("a long wait keeps its connection open past --idle-timeout-s", async () => {
    const dir = freshDir();
    expect(runPls(launcher, ["--dir", dir, "pool", "create", "quiet"]).code).toBe(0);
    const { url } = await serve(dir, ["--idle-timeout-s", "1"]);
    const a = await httpAgent(url);
    try {
      // 7 s without a byte on a server that closes connections idle for 1 s: the wait still gets its answer
      const t0 = performance.now();
      expect((await a.call("plasmite_wait", { pool: "quiet", timeout_ms: 7000 })).s).toMatchObject({ timed_out: true, messages: [] });
      expect(performance.now() - t0).toBeGreaterThanOrEqual(6990);
    } finally {
      await a.close();
    }
  }, 60_000);

  test("with a token: refused without it (401), served with it", async () => {
    const { url } = await serve(freshDir(), ["--token", "s3cret"]);
    expect((await post(url, INIT)).status).toBe(401);
    expect((await post(url, INIT, { authorization: "Bearer wrong" })).status).toBe(401);
    await expect(httpAgent(url)).rejects.toThrow();
    const a = await httpAgent(url, "s3cret");
    try {
      expect((await a.call("plasmite_feed", { pool: "t", data: { ok: true }, create: true })).s.message.seq).toBe(1);
      expect((await a.call("plasmite_read", { pool: "t" })).s.messages[0].data).toEqual({ ok: true });
    } finally {
      await a.close();
    }
  }, 60_000);

  test("access modes pick the tools; the tail limits bound waits", async () => {
    const dir = freshDir();
    expect(runPls(launcher, ["--dir", dir, "poke", "r", "--create", '{"n":1}']).code).toBe(0);
    const ro = await serve(dir, ["--access", "read-only"]);
    const a = await httpAgent(ro.url);
    try {
      expect((await a.client.listTools()).tools.map((t) => t.name).sort()).toEqual(READ_TOOLS);
      expect((await a.call("plasmite_feed", { pool: "r", data: {} })).s.error_kind).toBe("Permission");
      expect((await a.call("plasmite_pool_delete", { pool: "r" })).s.error_kind).toBe("Permission");
      expect((await a.call("plasmite_read", { pool: "r" })).s.messages).toHaveLength(1);
    } finally {
      await a.close();
    }
    const wo = await serve(dir, ["--access", "write-only"]);
    const w = await httpAgent(wo.url);
    try {
      expect((await w.client.listTools()).tools.map((t) => t.name).sort()).toEqual(WRITE_TOOLS);
      expect((await w.call("plasmite_wait", { pool: "r" })).s.error_kind).toBe("Permission");
    } finally {
      await w.close();
    }

    const limited = await serve(dir, ["--max-tail-timeout-ms", "1500", "--max-tail-concurrency", "1"]);
    const l = await httpAgent(limited.url);
    try {
      const wait = (await l.client.listTools()).tools.find((t) => t.name === "plasmite_wait")!;
      expect((wait.inputSchema.properties as Record<string, { maximum: number; default: number }>).timeout_ms).toMatchObject({ maximum: 1500, default: 1500 });
      expect((await l.call("plasmite_wait", { pool: "r", timeout_ms: 2000 })).s.error_kind).toBe("Usage");
      // one slot, shared with tail streams: a second wait meanwhile is Busy
      const first = l.call("plasmite_wait", { pool: "r", timeout_ms: 1000 });
      await Bun.sleep(200);
      expect((await l.call("plasmite_wait", { pool: "r", timeout_ms: 100 })).s.error_kind).toBe("Busy");
      expect((await first).s.timed_out).toBe(true);
      expect((await l.call("plasmite_wait", { pool: "r", timeout_ms: 100 })).s.timed_out).toBe(true);
      const health = (await (await fetch(`${limited.url}/healthz`)).json()) as { active_tails: number };
      expect(health.active_tails).toBe(0);
    } finally {
      await l.close();
    }
  }, 60_000);
});
