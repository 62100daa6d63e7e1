// `pls mcp` from source, driven by the official SDK's client over stdio (the scenario is in test-harness.ts; the
// compiled binary passes the same one in mcp-compiled.test.ts), and the argument checker against JSON Schema itself.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import { BUN, MAIN, tempRoot } from "../cli/test-harness.ts";
import { stdioSuite } from "./test-harness.ts";
import { checkToolArguments, toolInputSchema, toolsFor, type McpHost } from "./tools.ts";

const root = tempRoot("mcp");
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => {
  const d = join(root, `pools-${++n}`);
  mkdirSync(d);
  return d;
};

stdioSuite("source", () => ({ command: BUN, prefix: [MAIN], env: { ...(process.env as Record<string, string>), NO_COLOR: "1" } }), freshDir);

describe("tool arguments", () => {
  const host = { maxWaitMs: 60_000 } as McpHost;
  // one case table: the checker refuses exactly what the advertised JSON Schema refuses
  const cases: Array<[string, unknown]> = [
    ["plasmite_pool_list", {}],
    ["plasmite_pool_list", { extra: 1 }],
    ["plasmite_pool_create", { name: "a" }],
    ["plasmite_pool_create", { name: "a", size: "1M" }],
    ["plasmite_pool_create", { name: "a", size: 0 }],
    ["plasmite_pool_create", { name: "a", size: 1.5 }],
    ["plasmite_pool_create", { name: "a/b" }],
    ["plasmite_pool_create", { name: "" }],
    ["plasmite_pool_create", {}],
    ["plasmite_feed", { pool: "p", data: {} }],
    ["plasmite_feed", { pool: "p", data: [] }],
    ["plasmite_feed", { pool: "p", data: null }],
    ["plasmite_feed", { pool: "p", data: {}, tags: ["a", ""] }],
    ["plasmite_feed", { pool: "p", data: {}, tags: "a" }],
    ["plasmite_feed", { pool: "p", data: {}, durability: "flush" }],
    ["plasmite_feed", { pool: "p", data: {}, durability: "slow" }],
    ["plasmite_feed", { pool: "p", data: {}, create: "yes" }],
    ["plasmite_fetch", { pool: "p", seq: 1 }],
    ["plasmite_fetch", { pool: "p", seq: 0 }],
    ["plasmite_fetch", { pool: "p", seq: "1" }],
    ["plasmite_read", { pool: "p", count: 200, after_seq: 0 }],
    ["plasmite_read", { pool: "p", count: 0 }],
    ["plasmite_read", { pool: "p", after_seq: -1 }],
    ["plasmite_read", { pool: "p", where: "" }],
    ["plasmite_read", { pool: "p", last: 3, tags: ["x"], where: ".data.ok" }],
    ["plasmite_wait", { pool: "p", timeout_ms: 0 }],
    ["plasmite_wait", { pool: "p", timeout_ms: 60_000, count: 1 }],
    ["plasmite_wait", { pool: "p", timeout_ms: 60_001 }],
    ["plasmite_wait", { pool: "p", since: "5m" }],
  ];
  const ajv = new Ajv({ strict: false });
  for (const [name, args] of cases) {
    test(`${name} ${JSON.stringify(args)}`, () => {
      const tool = toolsFor(host).find((t) => t.name === name)!;
      const schemaSays = ajv.validate(toolInputSchema(tool), args);
      let checkerSays = true;
      try {
        checkToolArguments(tool, args);
      } catch (err) {
        expect((err as { kind: string }).kind).toBe("Usage");
        checkerSays = false;
      }
      expect(checkerSays).toBe(schemaSays);
    });
  }
});
