// DATA and tags are checked by one function each (src/format/payload.ts checkData, checkedTags, dataText), for
// every interface: the library, `pls poke` and the HTTP append refuse the same inputs with the same kind and
// message, the MCP feed tool with the same kind, and a refused message leaves the pool exactly as it was.
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { PlasmiteError } from "../errors.ts";
import { errorOf, pls, startServe, tempRoot } from "../cli/test-harness.ts";
import { httpAgent } from "../mcp/test-harness.ts";
import { Client } from "./client.ts";
import { checkedTags, dataText } from "./message-text.ts";

const dir = tempRoot("message-checks");
const procs: Array<{ kill(): void }> = [];
afterAll(() => {
  for (const p of procs) p.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe("the one check of DATA and tags", () => {
  test("dataText keeps a one-line source as written, compacts a multi-line one, encodes a value without one", () => {
    const text = (data: unknown, source?: string): string => dataText(data, source);
    expect(text({ id: 1 }, '{"id": 12345678901234567890}')).toBe('{"id": 12345678901234567890}');
    expect(text({ a: 1 }, '{\n  "a": 1\n}')).toBe('{"a":1}');
    expect(text({ a: [1, "x"] })).toBe('{"a":[1,"x"]}');
    for (const bad of [[1], "s", 3, null, undefined, true]) expect(() => dataText(bad)).toThrow(PlasmiteError);
    expect(() => dataText(undefined)).toThrow("message data must be a JSON object, got nothing");
    expect(() => dataText([1])).toThrow("message data must be a JSON object, got an array");
    expect<readonly string[]>(checkedTags(["a", "b"])).toEqual(["a", "b"]);
    expect(() => checkedTags("t")).toThrow("tags must be an array of strings, got a string");
    expect(() => checkedTags(["a", ""])).toThrow("tags must be non-empty strings, got a string");
    expect(() => checkedTags([1])).toThrow("tags must be non-empty strings, got number");
  });

  test("library, poke and HTTP refuse the same inputs with the same Usage message, MCP with Usage; nothing is stored", async () => {
    const client = new Client(dir);
    const pool = client.createPool("p", { sizeBytes: 1 << 20 });
    pool.append({ first: true });
    const path = pool.path;
    const before = readFileSync(path);
    const { proc, url } = await startServe(dir);
    procs.push(proc);
    const agent = await httpAgent(url);
    const cases: Array<{ data: unknown; tags: unknown; message: string }> = [
      { data: [1, 2], tags: [], message: "message data must be a JSON object, got an array" },
      { data: "text", tags: [], message: "message data must be a JSON object, got a string" },
      { data: 7, tags: [], message: "message data must be a JSON object, got number" },
      { data: {}, tags: [""], message: "tags must be non-empty strings, got a string" },
    ];
    try {
      for (const c of cases) {
        let lib: PlasmiteError | null = null;
        try {
          pool.append(c.data as Record<string, unknown>, { tags: c.tags as string[] });
        } catch (err) {
          lib = err as PlasmiteError;
        }
        expect([c.message, lib?.kind, lib?.message]).toEqual([c.message, "Usage", c.message]);

        const tagFlags = (c.tags as string[]).flatMap((t) => ["--tag", t]);
        const r = pls(["--dir", dir, "poke", "p", JSON.stringify(c.data), ...tagFlags]);
        expect([c.message, r.code, errorOf(r).kind, errorOf(r).message]).toEqual([c.message, 2, "Usage", c.message]);

        const res = await fetch(`${url}/v0/pools/p/append`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ data: c.data, tags: c.tags }) });
        const body = (await res.json()) as { error: { kind: string; message: string } };
        expect([c.message, res.status, body.error.kind, body.error.message]).toEqual([c.message, 400, "Usage", c.message]);

        // MCP checks a tool's arguments against its schema first and names the argument (src/mcp/arguments.ts),
        // as agents expect: the same refusal and kind, worded for the tool
        const m = await agent.call("plasmite_feed", { pool: "p", data: c.data, tags: c.tags });
        expect([c.message, m.isError, m.text.startsWith("Usage: plasmite_feed: argument '")]).toEqual([c.message, true, true]);
      }
    } finally {
      await agent.close();
      pool.close();
    }
    expect(Buffer.compare(readFileSync(path), before)).toBe(0); // not a byte of the pool changed
    expect(new Client(dir).openPool("p").info().bounds).toMatchObject({ newest: 1 });
  }, 60_000);
});
