// Test-only: agents (the official MCP SDK's Client) talking to `pls mcp` over stdio or to `pls serve` over HTTP, and
// the stdio scenario that both the source (mcp.test.ts) and the compiled binary (mcp-compiled.test.ts) must pass.
// The SDK client checks every structured result against the tool's output schema, so each call below checks it too.
import { describe, expect, test } from "bun:test";
import { openSync, writeSync, closeSync, existsSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ResourceListChangedNotificationSchema, ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { holdFlock } from "../cli/test-harness.ts";

/** How to run `pls`: the program and the words before the command (e.g. bun and main.ts). */
export interface Launcher {
  command: string;
  prefix: string[];
  cwd?: string;
  env: Record<string, string>;
}

export interface CallResult {
  isError: boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  s: any;
  text: string;
}

export interface Agent {
  client: Client;
  call(name: string, args?: Record<string, unknown>): Promise<CallResult>;
  close(): Promise<void>;
}

function agentOf(client: Client): Agent {
  return {
    client,
    async call(name, args = {}) {
      const r = await client.callTool({ name, arguments: args }, undefined, { timeout: 90_000 });
      const content = r.content as Array<{ type: string; text?: string }>;
      return { isError: r.isError === true, s: r.structuredContent, text: content.map((c) => c.text ?? "").join("") };
    },
    close: () => client.close(),
  };
}

/** An agent connected to `pls --dir DIR mcp EXTRA` on stdio. */
export async function stdioAgent(launch: Launcher, dir: string, extra: string[] = []): Promise<Agent> {
  const transport = new StdioClientTransport({ command: launch.command, args: [...launch.prefix, "--dir", dir, "mcp", ...extra], cwd: launch.cwd, env: launch.env, stderr: "inherit" });
  const client = new Client({ name: "plasmite-test-agent", version: "1.0.0" });
  await client.connect(transport);
  return agentOf(client);
}

/** An agent connected to a `pls serve` at `url` (its /mcp), with a bearer token if given. */
export async function httpAgent(url: string, token?: string): Promise<Agent> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } });
  const client = new Client({ name: "plasmite-test-agent", version: "1.0.0" });
  await client.connect(transport);
  return agentOf(client);
}

/** Runs `pls ARGS` to completion. */
export function runPls(launch: Launcher, args: string[]): { code: number; out: string; err: string } {
  const r = Bun.spawnSync([launch.command, ...launch.prefix, ...args], { cwd: launch.cwd, env: launch.env });
  return { code: r.exitCode ?? 128, out: r.stdout.toString(), err: r.stderr.toString() };
}

/** Wall-clock milliseconds (with the fraction) of a message time like 2026-01-15T09:00:00.123456789Z. */
export function wallMs(time: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(time);
  if (!m) throw new Error(`not a message time: ${time}`);
  return Date.parse(`${m[1]}Z`) + Number(`0.${m[2] ?? "0"}`) * 1000;
}

export const nowWallMs = () => performance.timeOrigin + performance.now();

export const READ_TOOLS = ["plasmite_fetch", "plasmite_pool_info", "plasmite_pool_list", "plasmite_read", "plasmite_wait"];
export const WRITE_TOOLS = ["plasmite_feed", "plasmite_pool_create", "plasmite_pool_delete"];

/** Every tool, over stdio: the scenario the source and the compiled binary both pass. `dir()` is a fresh pool directory. */
export function stdioSuite(label: string, launcher: () => Launcher, dir: () => string): void {
  const T = 60_000;
  describe(`pls mcp on stdio (${label})`, () => {
    test("initialize tells what pools are; tools/list has upstream's tools and arguments, with schemas and annotations", async () => {
      const a = await stdioAgent(launcher(), dir());
      try {
        expect(a.client.getServerVersion()?.name).toBe("plasmite");
        const instructions = a.client.getInstructions() ?? "";
        expect(instructions).toContain("plasmite_pool_list");
        expect(instructions).toContain("plasmite_wait");
        expect(a.client.getServerCapabilities()?.resources).toEqual({ subscribe: true, listChanged: true });
        const { tools } = await a.client.listTools();
        expect(tools.map((t) => t.name).sort()).toEqual([...READ_TOOLS, ...WRITE_TOOLS].sort());
        const args = Object.fromEntries(tools.map((t) => [t.name, Object.keys(t.inputSchema.properties ?? {}).sort()]));
        expect(args).toEqual({
          plasmite_pool_list: [],
          plasmite_pool_create: ["name", "size"],
          plasmite_pool_info: ["pool"],
          plasmite_pool_delete: ["pool"],
          plasmite_feed: ["create", "data", "durability", "pool", "tags"],
          plasmite_fetch: ["pool", "seq"],
          plasmite_read: ["after_seq", "count", "last", "pool", "since", "tags", "where"],
          plasmite_wait: ["after_seq", "count", "pool", "tags", "timeout_ms", "where"],
        });
        for (const t of tools) {
          expect(t.inputSchema.additionalProperties).toBe(false);
          expect(t.outputSchema?.type).toBe("object");
          expect(t.annotations?.readOnlyHint).toBe(READ_TOOLS.includes(t.name));
          expect(typeof t.annotations?.idempotentHint).toBe("boolean");
          expect(t.annotations?.destructiveHint).toBe(t.name === "plasmite_pool_delete");
        }
        const feed = tools.find((t) => t.name === "plasmite_feed")!;
        expect((feed.inputSchema.properties as Record<string, { type: string }>).data.type).toBe("object");
        expect(feed.inputSchema.required).toEqual(["pool", "data"]);
        const read = tools.find((t) => t.name === "plasmite_read")!.inputSchema.properties as Record<string, { default?: number; maximum?: number }>;
        expect([read.count.default, read.count.maximum]).toEqual([20, 200]);
        const wait = tools.find((t) => t.name === "plasmite_wait")!.inputSchema.properties as Record<string, { default?: number; maximum?: number }>;
        expect([wait.timeout_ms.default, wait.timeout_ms.maximum]).toEqual([10_000, 60_000]);
      } finally {
        await a.close();
      }
    }, T);

    test("every tool: create, list, info, feed, fetch, read (newest, after_seq, since, last, tags, where with real jq), delete", async () => {
      const a = await stdioAgent(launcher(), dir());
      try {
        const created = await a.call("plasmite_pool_create", { name: "jobs", size: "256K" });
        expect(created.isError).toBe(false);
        expect(created.s.pool).toMatchObject({ name: "jobs", bounds: { oldest: null, newest: null } });
        expect(created.s.pool.path).toBeUndefined();
        expect((await a.call("plasmite_pool_create", { name: "small", size: 65536 })).s.pool.file_size).toBeLessThanOrEqual(65536);
        expect((await a.call("plasmite_pool_list")).s.pools.map((p: { name: string }) => p.name)).toEqual(["jobs", "small"]);
        for (let i = 1; i <= 30; i++) {
          const fed = await a.call("plasmite_feed", { pool: "jobs", data: { n: i, text: i % 10 === 0 ? `ERROR ${i}` : `ok ${i}` }, tags: i % 3 === 0 ? ["three"] : [], ...(i === 30 ? { durability: "flush" } : {}) });
          expect(fed.isError).toBe(false);
          expect(fed.s.message).toMatchObject({ seq: i, data: { n: i }, meta: { tags: i % 3 === 0 ? ["three"] : [] } });
        }
        // the text content carries the same JSON (clients that show only text still see the result)
        const fetched = await a.call("plasmite_fetch", { pool: "jobs", seq: 7 });
        expect(fetched.s.message.data).toEqual({ n: 7, text: "ok 7" });
        expect(JSON.parse(fetched.text)).toEqual(fetched.s);
        const info = await a.call("plasmite_pool_info", { pool: "jobs" });
        expect(info.s.pool).toMatchObject({ name: "jobs", bounds: { oldest: 1, newest: 30 }, metrics: { message_count: 30 } });

        const newest = (await a.call("plasmite_read", { pool: "jobs" })).s;
        expect(newest.messages.map((m: { seq: number }) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 11));
        expect(newest).toMatchObject({ next_after_seq: 30, last_returned_seq: 30, oldest_available_seq: 1, newest_available_seq: 30, fell_behind: false });
        const page1 = (await a.call("plasmite_read", { pool: "jobs", after_seq: 0, count: 12 })).s;
        expect(page1.messages.map((m: { seq: number }) => m.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
        expect(page1.next_after_seq).toBe(12);
        const page2 = (await a.call("plasmite_read", { pool: "jobs", after_seq: page1.next_after_seq, count: 200 })).s;
        expect(page2.messages[0].seq).toBe(13);
        expect(page2.messages).toHaveLength(18);
        expect((await a.call("plasmite_read", { pool: "jobs", after_seq: 30 })).s).toMatchObject({ messages: [], next_after_seq: 30, last_returned_seq: null });
        const last = (await a.call("plasmite_read", { pool: "jobs", last: 5, count: 2 })).s;
        expect(last.messages.map((m: { seq: number }) => m.seq)).toEqual([26, 27]);
        expect(last.next_after_seq).toBe(27);
        expect((await a.call("plasmite_read", { pool: "jobs", since: "1h" })).s.messages[0].seq).toBe(1);
        expect((await a.call("plasmite_read", { pool: "jobs", since: "2099-01-01T00:00:00Z" })).s).toMatchObject({ messages: [], next_after_seq: 30 });
        const tagged = (await a.call("plasmite_read", { pool: "jobs", tags: ["three"], count: 3 })).s;
        expect(tagged.messages.map((m: { seq: number }) => m.seq)).toEqual([24, 27, 30]);
        const taggedForward = (await a.call("plasmite_read", { pool: "jobs", tags: ["three"], after_seq: 0, count: 2 })).s;
        expect(taggedForward.messages.map((m: { seq: number }) => m.seq)).toEqual([3, 6]);
        expect(taggedForward.next_after_seq).toBe(6);
        // a fast-path expression and one only real jq answers (test/2 with flags)
        expect((await a.call("plasmite_read", { pool: "jobs", where: ".data.n == 7" })).s.messages.map((m: { seq: number }) => m.seq)).toEqual([7]);
        const jq = (await a.call("plasmite_read", { pool: "jobs", after_seq: 0, where: '.data.text | test("error"; "i")' })).s;
        expect(jq.messages.map((m: { seq: number }) => m.seq)).toEqual([10, 20, 30]);
        expect(jq.next_after_seq).toBe(30);

        expect((await a.call("plasmite_pool_delete", { pool: "small" })).s).toEqual({ deleted: { pool: "small" } });
        expect((await a.call("plasmite_pool_list")).s.pools.map((p: { name: string }) => p.name)).toEqual(["jobs"]);
        // feed with create makes the pool
        expect((await a.call("plasmite_feed", { pool: "made", data: { hi: 1 }, create: true })).s.message.seq).toBe(1);
      } finally {
        await a.close();
      }
    }, T);

    test("a reader that fell behind is told so, and pages on from the oldest retained message", async () => {
      const a = await stdioAgent(launcher(), dir());
      try {
        await a.call("plasmite_pool_create", { name: "ring", size: "64K" });
        const filler = "x".repeat(2000);
        for (let i = 1; i <= 60; i++) await a.call("plasmite_feed", { pool: "ring", data: { i, filler } });
        const page = (await a.call("plasmite_read", { pool: "ring", after_seq: 0, count: 5 })).s;
        expect(page.fell_behind).toBe(true);
        expect(page.oldest_available_seq).toBeGreaterThan(1);
        expect(page.messages[0].seq).toBe(page.oldest_available_seq);
        const next = (await a.call("plasmite_read", { pool: "ring", after_seq: page.next_after_seq, count: 5 })).s;
        expect(next.fell_behind).toBe(false);
        expect(next.messages[0].seq).toBe(page.next_after_seq + 1);
      } finally {
        await a.close();
      }
    }, T);

    test("errors carry the project's kinds: Usage, NotFound, AlreadyExists (pool untouched), Busy, Corrupt, Permission", async () => {
      const d = dir();
      const a = await stdioAgent(launcher(), d, ["--lock-timeout", "300"]);
      try {
        const kind = async (name: string, args: Record<string, unknown>) => {
          const r = await a.call(name, args);
          expect(r.isError).toBe(true);
          expect(r.text).toContain(r.s.message);
          return r.s as { error_kind: string; message: string; hint?: string };
        };
        await a.call("plasmite_pool_create", { name: "p" });
        await a.call("plasmite_feed", { pool: "p", data: { keep: true } });
        // schema validation: unknown, missing, mistyped and out-of-range arguments
        expect(await kind("plasmite_read", { pool: "p", colour: "red" })).toMatchObject({ error_kind: "Usage", message: "plasmite_read: unknown argument 'colour'" });
        expect((await kind("plasmite_read", { pool: "p", colour: "red" })).hint).toContain("after_seq");
        expect(await kind("plasmite_fetch", { pool: "p" })).toMatchObject({ error_kind: "Usage", message: "plasmite_fetch: missing required argument 'seq'" });
        expect(await kind("plasmite_feed", { pool: "p", data: [1, 2] })).toMatchObject({ error_kind: "Usage", message: "plasmite_feed: argument 'data' must be a JSON object, not an array" });
        expect(await kind("plasmite_feed", { pool: "p", data: "text" })).toMatchObject({ error_kind: "Usage" });
        expect(await kind("plasmite_read", { pool: "p", count: 201 })).toMatchObject({ error_kind: "Usage", message: "plasmite_read: argument 'count' must be from 1 to 200, got 201" });
        expect(await kind("plasmite_read", { pool: "p", count: "5" })).toMatchObject({ error_kind: "Usage" });
        expect(await kind("plasmite_wait", { pool: "p", timeout_ms: 60_001 })).toMatchObject({ error_kind: "Usage" });
        expect(await kind("plasmite_feed", { pool: "p", data: {}, tags: [""] })).toMatchObject({ error_kind: "Usage" });
        expect(await kind("plasmite_pool_info", { pool: "../etc" })).toMatchObject({ error_kind: "Usage" });
        expect(await kind("plasmite_read", { pool: "p", after_seq: 1, since: "5m" })).toMatchObject({ error_kind: "Usage" });
        expect(await kind("plasmite_read", { pool: "p", since: "yesterday" })).toMatchObject({ error_kind: "Usage" });
        expect(await kind("plasmite_read", { pool: "p", where: ".data | frobnicate(" })).toMatchObject({ error_kind: "Usage" });
        expect(await kind("plasmite_read", { pool: "p", where: ".data.keep | not | tostring" })).toMatchObject({ error_kind: "Usage" });
        expect(await kind("plasmite_pool_create", { name: "q", size: "lots" })).toMatchObject({ error_kind: "Usage" });
        // NotFound
        const missing = await kind("plasmite_pool_info", { pool: "nope" });
        expect(missing.error_kind).toBe("NotFound");
        expect(missing.hint).toContain("plasmite_pool_create");
        expect(missing.message).not.toContain(d); // pools are named, paths not shown
        expect(await kind("plasmite_feed", { pool: "nope", data: {} })).toMatchObject({ error_kind: "NotFound" });
        expect((await kind("plasmite_fetch", { pool: "p", seq: 99 })).error_kind).toBe("NotFound");
        expect((await kind("plasmite_pool_delete", { pool: "nope" })).error_kind).toBe("NotFound");
        // AlreadyExists leaves the pool alone
        expect((await kind("plasmite_pool_create", { name: "p", size: "1M" })).error_kind).toBe("AlreadyExists");
        expect((await a.call("plasmite_fetch", { pool: "p", seq: 1 })).s.message.data).toEqual({ keep: true });
        // Busy: another process holds the pool's writer lock past --lock-timeout
        const lock = await holdFlock(join(d, "p.plasmite"));
        try {
          expect(await kind("plasmite_feed", { pool: "p", data: { n: 2 } })).toMatchObject({ error_kind: "Busy" });
        } finally {
          await lock.release();
        }
        expect((await a.call("plasmite_feed", { pool: "p", data: { n: 2 } })).s.message.seq).toBe(2);
        // Corrupt: a file that is not a pool
        const fd = openSync(join(d, "bad.plasmite"), "w");
        writeSync(fd, new Uint8Array(8192).fill(0x5a));
        closeSync(fd);
        expect((await kind("plasmite_pool_info", { pool: "bad" })).error_kind).toBe("Corrupt");
        const listed = (await a.call("plasmite_pool_list")).s.pools;
        expect(listed.find((p: { name: string }) => p.name === "bad").error.error_kind).toBe("Corrupt");
        // an unknown tool is a protocol error, not a tool result
        await expect(a.call("plasmite_frobnicate", {})).rejects.toThrow(/unknown tool/);
      } finally {
        await a.close();
      }
      // Permission: a read-only server offers no write tools and refuses them
      const ro = await stdioAgent(launcher(), d, ["--access", "read-only"]);
      try {
        expect((await ro.client.listTools()).tools.map((t) => t.name).sort()).toEqual(READ_TOOLS);
        expect(ro.client.getInstructions()).toContain("read-only");
        const r = await ro.call("plasmite_feed", { pool: "p", data: {} });
        expect(r.s).toMatchObject({ error_kind: "Permission" });
        expect((await ro.call("plasmite_read", { pool: "p" })).s.messages).toHaveLength(2);
      } finally {
        await ro.close();
      }
      const wo = await stdioAgent(launcher(), d, ["--access", "write-only"]);
      try {
        expect((await wo.client.listTools()).tools.map((t) => t.name).sort()).toEqual(WRITE_TOOLS);
        expect(wo.client.getServerCapabilities()?.resources).toBeUndefined();
        expect((await wo.call("plasmite_read", { pool: "p" })).s).toMatchObject({ error_kind: "Permission" });
        expect((await wo.call("plasmite_feed", { pool: "p", data: { n: 3 } })).s.message.seq).toBe(3);
      } finally {
        await wo.close();
      }
    }, T);

    test("a wait is released by a poke from another process within milliseconds; another times out", async () => {
      const launch = launcher();
      const d = dir();
      const a = await stdioAgent(launch, d);
      try {
        await a.call("plasmite_pool_create", { name: "bell" });
        const latencies: number[] = [];
        for (let i = 1; i <= 5; i++) {
          const waiting = a.call("plasmite_wait", { pool: "bell", timeout_ms: 30_000 });
          await Bun.sleep(150); // the wait is blocked by now (it starts at the live edge)
          const poke = Bun.spawn([launch.command, ...launch.prefix, "--dir", d, "poke", "bell", JSON.stringify({ ring: i })], { cwd: launch.cwd, env: launch.env });
          const r = await waiting;
          const received = nowWallMs();
          expect(await poke.exited).toBe(0);
          expect(r.s).toMatchObject({ timed_out: false, next_after_seq: i, last_returned_seq: i });
          expect(r.s.messages.map((m: { data: unknown }) => m.data)).toEqual([{ ring: i }]);
          latencies.push(received - wallMs(r.s.messages[0].time));
        }
        latencies.sort((x, y) => x - y);
        console.log(`mcp wait (${label}): appended by another process -> wait result at the agent: median ${latencies[2].toFixed(2)} ms, max ${latencies[4].toFixed(2)} ms`);
        expect(latencies[2]).toBeLessThan(100);

        // after_seq: messages already there return at once; a tag filter skips the others
        expect((await a.call("plasmite_wait", { pool: "bell", after_seq: 3, count: 1 })).s).toMatchObject({ timed_out: false, next_after_seq: 4, messages: [{ seq: 4 }] });
        const t0 = performance.now();
        const timedOut = await a.call("plasmite_wait", { pool: "bell", after_seq: 0, tags: ["never"], timeout_ms: 400 });
        const waited = performance.now() - t0;
        expect(timedOut.s).toMatchObject({ timed_out: true, messages: [], next_after_seq: 5 });
        expect(waited).toBeGreaterThanOrEqual(390);
        expect(waited).toBeLessThan(3000);
      } finally {
        await a.close();
      }
    }, T);

    test("two agents hand work to each other through one pool", async () => {
      const d = dir();
      const boss = await stdioAgent(launcher(), d);
      const worker = await stdioAgent(launcher(), d);
      try {
        await boss.call("plasmite_pool_create", { name: "work" });
        // the worker takes tasks as they come, from the start of the pool, and answers each one
        const working = (async () => {
          let after = 0;
          let done = 0;
          while (done < 3) {
            const r = (await worker.call("plasmite_wait", { pool: "work", after_seq: after, tags: ["task"], timeout_ms: 20_000 })).s;
            expect(r.timed_out).toBe(false);
            for (const m of r.messages) {
              await worker.call("plasmite_feed", { pool: "work", data: { task_id: m.data.id, answer: m.data.x * 2 }, tags: ["result"] });
              done++;
            }
            after = r.next_after_seq;
          }
        })();
        for (const [id, x] of [[1, 10], [2, 20], [3, 30]]) await boss.call("plasmite_feed", { pool: "work", data: { id, x }, tags: ["task"] });
        // the boss waits for the last answer with a jq condition, then reads them all by tag
        const last = (await boss.call("plasmite_wait", { pool: "work", after_seq: 0, where: ".data.task_id == 3", timeout_ms: 20_000 })).s;
        expect(last.messages[0].data).toEqual({ task_id: 3, answer: 60 });
        await working;
        const results = (await boss.call("plasmite_read", { pool: "work", tags: ["result"], after_seq: 0 })).s.messages.map((m: { data: unknown }) => m.data);
        expect(results).toEqual([{ task_id: 1, answer: 20 }, { task_id: 2, answer: 40 }, { task_id: 3, answer: 60 }]);
      } finally {
        await boss.close();
        await worker.close();
      }
    }, T);

    test("pools are resources: listed, read (newest 20), subscribed; list changes are announced", async () => {
      const launch = launcher();
      const d = dir();
      const a = await stdioAgent(launch, d);
      const updated: string[] = [];
      let listChanged = 0;
      a.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updated.push(n.params.uri));
      a.client.setNotificationHandler(ResourceListChangedNotificationSchema, () => void listChanged++);
      try {
        await a.call("plasmite_pool_create", { name: "feed" });
        for (let i = 1; i <= 25; i++) await a.call("plasmite_feed", { pool: "feed", data: { i } });
        const { resources } = await a.client.listResources();
        expect(resources).toEqual([expect.objectContaining({ uri: "plasmite:///pools/feed", name: "feed", mimeType: "application/json" })]);
        expect((await a.client.listResourceTemplates()).resourceTemplates[0].uriTemplate).toBe("plasmite:///pools/{name}");
        const read = await a.client.readResource({ uri: "plasmite:///pools/feed" });
        const page = JSON.parse((read.contents[0] as { text: string }).text);
        expect(page.messages.map((m: { seq: number }) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 6));
        await expect(a.client.readResource({ uri: "plasmite:///pools/none" })).rejects.toThrow(/not found/);
        await expect(a.client.readResource({ uri: "file:///etc/passwd" })).rejects.toThrow(/not a pool resource/);

        await a.client.subscribeResource({ uri: "plasmite:///pools/feed" });
        expect(runPls(launch, ["--dir", d, "poke", "feed", '{"from":"outside"}']).code).toBe(0);
        for (let i = 0; i < 100 && updated.length === 0; i++) await Bun.sleep(20);
        expect(updated).toEqual(["plasmite:///pools/feed"]);
        const before = listChanged;
        expect(runPls(launch, ["--dir", d, "pool", "create", "other"]).code).toBe(0);
        for (let i = 0; i < 100 && listChanged === before; i++) await Bun.sleep(20);
        expect(listChanged).toBeGreaterThan(before);
      } finally {
        await a.close();
      }
    }, T);

    test("stdin at its end: the answers already asked for are given, then the server exits", async () => {
      const launch = launcher();
      const d = dir();
      const lines = [
        { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "pipe", version: "1" } } },
        { jsonrpc: "2.0", method: "notifications/initialized" },
        { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "plasmite_feed", arguments: { pool: "eof", data: { a: 1 }, create: true } } },
        { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "plasmite_wait", arguments: { pool: "eof", after_seq: 1, timeout_ms: 300 } } },
      ];
      const t0 = performance.now();
      const r = Bun.spawnSync([launch.command, ...launch.prefix, "--dir", d, "mcp"], { cwd: launch.cwd, env: launch.env, stdin: new TextEncoder().encode(lines.map((l) => JSON.stringify(l)).join("\n") + "\n") });
      expect(r.exitCode).toBe(0);
      expect(performance.now() - t0).toBeLessThan(10_000);
      const answers = r.stdout.toString().trim().split("\n").map((l) => JSON.parse(l));
      const byId = Object.fromEntries(answers.filter((m) => m.id !== undefined).map((m) => [m.id, m]));
      expect(byId[1].result.protocolVersion).toBe("2025-11-25");
      expect(byId[2].result.structuredContent.message.seq).toBe(1);
      expect(byId[3].result.structuredContent.timed_out).toBe(true);
      expect(existsSync(join(d, "eof.plasmite"))).toBe(true);
    }, T);
  });
}
