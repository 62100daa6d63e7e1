// The MCP tools: names, argument names and result shapes as the Rust plasmite's (so agent set-ups written for it
// work here), plus optional arguments of this project's own (`where` with real jq, `last`, `durability`). Each
// tool says what it needs (read or write access), its input and output schemas and its annotations. Handlers only
// translate arguments to the library; storage rules stay in src/pool, paging in page.ts.
// Invariant: a handler throws PlasmiteError (presented by server.ts as an isError result); it never returns one.
import { PlasmiteError, ERROR_KINDS, type ErrorKind } from "../errors.ts";
import { envelopeOfData } from "../wire/index.ts";
import { DEFAULT_POOL_SIZE_BYTES, checkedTags, dataText } from "../api/message-text.ts";
import type { Durability, PoolHandle, PoolInfo } from "../api/client.ts";
import { parseSince, parseSize } from "../cli/values.ts";
import type { ServedPools } from "../serve/pools.ts";
import type { AccessMode } from "../serve/options.ts";
import type { Watchers } from "../serve/watcher.ts";
import { checkArguments, inputJsonSchema, type ArgSchema, type ObjectSchema } from "./arguments.ts";
import { readPage, waitPage, type MessageFilter, type ReadFrom } from "./page.ts";

/** Most messages one read or wait returns. */
export const MAX_COUNT = 200;
export const DEFAULT_READ_COUNT = 20;
/** Longest a plasmite_wait blocks (a server with a lower --max-tail-timeout-ms allows that instead). */
export const MAX_WAIT_MS = 60_000;
export const DEFAULT_WAIT_MS = 10_000;
/** Messages a resource read returns: the pool's newest ones. */
export const RESOURCE_MESSAGES = 20;

/** What the tools run against: the pool directory and the limits of the transport serving them. */
export interface McpHost {
  access: AccessMode;
  pools: ServedPools;
  watchers: Watchers;
  /** Longest a wait may block here (at most MAX_WAIT_MS). */
  maxWaitMs: number;
  /** Takes one of the limited slots for a blocking wait (Busy when none is free); returns its release. */
  acquireWaitSlot(): () => void;
  /** Aborted when the client is gone (an HTTP request closed). */
  signal?: AbortSignal;
  /** Called before a wait blocks up to `ms` (an HTTP server keeps the connection open that long). */
  holdOpen?(ms: number): void;
  /** Called after a tool created or deleted a pool. */
  poolsChanged?(): void;
}

export type ToolAccess = "read" | "write";

export interface ToolDef {
  name: string;
  title: string;
  description: string;
  access: ToolAccess;
  input: ObjectSchema;
  /** JSON Schema of a successful result's structuredContent. */
  output: Record<string, unknown>;
  annotations: { readOnlyHint: boolean; destructiveHint: boolean; idempotentHint: boolean; openWorldHint: false };
  run(host: McpHost, args: Record<string, unknown>, signal: AbortSignal): Promise<Record<string, unknown>>;
}

export const POOL_NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$";
const NAME_HINT = "Pool names are letters, digits, '.', '_' and '-', starting with a letter or digit (no path separators).";

const poolArg = (description = "Pool name"): ArgSchema => ({ type: "string", description, pattern: POOL_NAME_PATTERN, hint: NAME_HINT });
const tagsArg = (description: string): ArgSchema => ({ type: "array", description, items: { type: "string", minLength: 1, maxLength: 1024 }, maxItems: 100 });
const whereArg: ArgSchema = {
  type: "string",
  minLength: 1,
  maxLength: 4096,
  description: 'jq expression that must be true for a message to be returned, run on the whole message {"seq","time","meta":{"tags"},"data"}, e.g. .data.status == "done" or (.data.text | test("error"; "i"))',
};
const afterSeqArg: ArgSchema = { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: "Only messages after this seq: pass next_after_seq from the previous call to continue without gaps or repeats" };

const nullableSeq = { type: ["integer", "null"] };
const MESSAGE_SCHEMA = {
  type: "object",
  description: "A stored message",
  properties: {
    seq: { type: "integer", description: "Position in the pool: 1, 2, 3, … in append order" },
    time: { type: "string", description: "When it was appended (RFC 3339, UTC)" },
    meta: { type: "object", properties: { tags: { type: "array", items: { type: "string" } } }, required: ["tags"] },
    data: { type: "object", description: "The JSON object that was fed" },
  },
  required: ["seq", "time", "meta", "data"],
};
const POOL_INFO_SCHEMA = {
  type: "object",
  properties: {
    name: { type: "string" },
    file_size: { type: "integer" },
    ring_size: { type: "integer", description: "Bytes available for messages; the oldest are overwritten when it is full" },
    bounds: { type: "object", properties: { oldest: nullableSeq, newest: nullableSeq }, description: "Seqs of the oldest and newest retained messages (null when empty)" },
    metrics: { type: "object", description: "message_count, utilization and the age of the oldest and newest messages" },
  },
  required: ["name", "bounds"],
};
const PAGE_PROPERTIES = {
  messages: { type: "array", items: MESSAGE_SCHEMA, description: "Oldest first" },
  next_after_seq: { type: "integer", description: "Pass as after_seq to continue after everything this call looked at" },
  last_returned_seq: { ...nullableSeq, description: "Seq of the last message returned (null when none)" },
  oldest_available_seq: { ...nullableSeq, description: "Oldest retained seq (null when the pool is empty)" },
  newest_available_seq: { ...nullableSeq, description: "Newest retained seq (null when the pool is empty)" },
  fell_behind: { type: "boolean", description: "Messages after after_seq were overwritten before they were read; the page starts at the oldest retained one" },
};
const PAGE_REQUIRED = Object.keys(PAGE_PROPERTIES);

/** The structured content of a failed call. */
export const ERROR_SCHEMA = {
  type: "object",
  properties: {
    error_kind: { type: "string", enum: Object.keys(ERROR_KINDS) as ErrorKind[] },
    message: { type: "string" },
    hint: { type: "string" },
  },
  required: ["error_kind", "message"],
  additionalProperties: false,
};

const READ_ONLY = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;

/** The tools a host offers, every one of them (server.ts picks those its access mode allows). */
export function toolsFor(host: McpHost): ToolDef[] {
  const maxWait = host.maxWaitMs;
  const defaultWait = Math.min(DEFAULT_WAIT_MS, maxWait);
  return [
    {
      name: "plasmite_pool_list",
      title: "List pools",
      description: "List the pools in the pool directory, each with its retained seq range (bounds), size and message count.",
      access: "read",
      input: { properties: {}, required: [] },
      output: {
        type: "object",
        properties: {
          pools: {
            type: "array",
            items: { type: "object", properties: { name: { type: "string" } }, required: ["name"], description: "Pool info, or {name, error} for a pool that cannot be read" },
          },
        },
        required: ["pools"],
      },
      annotations: READ_ONLY,
      async run(h) {
        const pools = h.pools.list().map((name) => {
          try {
            return poolJson(openPool(h, name).info(), name);
          } catch (err) {
            const e = err instanceof PlasmiteError ? err : new PlasmiteError("Internal", String(err));
            return { name, error: { error_kind: e.kind, message: e.message } };
          }
        });
        return { pools };
      },
    },
    {
      name: "plasmite_pool_create",
      title: "Create a pool",
      description:
        "Create a pool: a named, persistent, bounded message log (when full, the oldest messages are overwritten). An existing pool is left untouched and the call fails with AlreadyExists.",
      access: "write",
      input: {
        properties: {
          name: poolArg("Name of the new pool"),
          size: { type: ["integer", "string"], minimum: 1, description: 'Pool size: bytes, or with a unit like "64K", "1M", "256M", "1G" (default 1M)' },
        },
        required: ["name"],
      },
      output: { type: "object", properties: { pool: POOL_INFO_SCHEMA }, required: ["pool"] },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      async run(h, args) {
        const name = args.name as string;
        const size = args.size === undefined ? DEFAULT_POOL_SIZE_BYTES : typeof args.size === "number" ? args.size : sizeOf(args.size as string);
        const handle = h.pools.create(name, size);
        h.poolsChanged?.();
        return { pool: poolJson(handle.info(), name) };
      },
    },
    {
      name: "plasmite_pool_info",
      title: "Pool info",
      description: "A pool's size, retained seq range (bounds.oldest..bounds.newest), message count and the age of its oldest and newest messages.",
      access: "read",
      input: { properties: { pool: poolArg() }, required: ["pool"] },
      output: { type: "object", properties: { pool: POOL_INFO_SCHEMA }, required: ["pool"] },
      annotations: READ_ONLY,
      async run(h, args) {
        const name = args.pool as string;
        return { pool: poolJson(openPool(h, name).info(), name) };
      },
    },
    {
      name: "plasmite_pool_delete",
      title: "Delete a pool",
      description: "Delete a pool and every message in it. This cannot be undone.",
      access: "write",
      input: { properties: { pool: poolArg() }, required: ["pool"] },
      output: { type: "object", properties: { deleted: { type: "object", properties: { pool: { type: "string" } }, required: ["pool"] } }, required: ["deleted"] },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
      async run(h, args) {
        const name = args.pool as string;
        try {
          h.pools.delete(name);
        } catch (err) {
          throw withPoolHint(err, h);
        }
        h.poolsChanged?.();
        return { deleted: { pool: name } };
      },
    },
    {
      name: "plasmite_feed",
      title: "Feed a message",
      description:
        "Append one message to a pool. data must be a JSON object; tags are optional labels to filter on. Returns the stored message with its seq and time. create: true creates the pool (1M) if it does not exist.",
      access: "write",
      input: {
        properties: {
          pool: poolArg(),
          data: { type: "object", description: 'The message: a JSON object, e.g. {"task": "resize", "id": 7}' },
          tags: tagsArg("Labels for filtering, e.g. [\"todo\"]"),
          create: { type: "boolean", default: false, description: "Create the pool if it does not exist" },
          durability: { type: "string", enum: ["fast", "flush"], default: "fast", description: "flush: on disk before the call returns (slower); fast: in the page cache, on disk soon after" },
        },
        required: ["pool", "data"],
      },
      output: { type: "object", properties: { message: MESSAGE_SCHEMA }, required: ["message"] },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
      async run(h, args) {
        const name = args.pool as string;
        const tags = checkedTags(args.tags ?? []);
        const data = dataText(args.data);
        if (args.create === true) createIfMissing(h, name);
        const times: number[] = [];
        let seq: number;
        try {
          seq = await h.pools.append(name, [data], tags, ((args.durability as string | undefined) ?? "fast") as Durability, times);
        } catch (err) {
          throw withPoolHint(err, h);
        }
        const message = envelopeOfData(seq, times[0], times[1], tags, data);
        return { message: JSON.parse(message) };
      },
    },
    {
      name: "plasmite_fetch",
      title: "Fetch a message",
      description: "Fetch one message by its seq.",
      access: "read",
      input: { properties: { pool: poolArg(), seq: { type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: "The message's seq" } }, required: ["pool", "seq"] },
      output: { type: "object", properties: { message: MESSAGE_SCHEMA }, required: ["message"] },
      annotations: READ_ONLY,
      async run(h, args) {
        const handle = openPool(h, args.pool as string);
        try {
          return { message: JSON.parse(handle.getJson(args.seq as number)) };
        } catch (err) {
          if (err instanceof PlasmiteError && err.kind === "NotFound" && err.hint === undefined) {
            throw new PlasmiteError("NotFound", err.message, { seq: err.seq, hint: "plasmite_pool_info shows the retained range (bounds); plasmite_read returns the newest messages." });
          }
          throw err;
        }
      },
    },
    {
      name: "plasmite_read",
      title: "Read messages",
      description: [
        "Read a page of messages, oldest first.",
        "Without after_seq, since or last: the newest `count` messages (that match tags and where).",
        "after_seq: the messages after that seq; pass next_after_seq from the previous call to page on without gaps or repeats.",
        "since: from a time: '30s', '5m', '2h', '1d' ago, or RFC 3339 like 2026-01-15T09:00:00Z. last: from the last N messages.",
        "fell_behind: true when messages after after_seq were overwritten (the pool is a ring) before they were read.",
      ].join(" "),
      access: "read",
      input: {
        properties: {
          pool: poolArg(),
          count: { type: "integer", minimum: 1, maximum: MAX_COUNT, default: DEFAULT_READ_COUNT, description: `Most messages to return (default ${DEFAULT_READ_COUNT}, at most ${MAX_COUNT})` },
          after_seq: afterSeqArg,
          since: { type: "string", minLength: 1, maxLength: 64, description: "Messages from this time on: an age like '5m', '2h', '1d', or RFC 3339 like 2026-01-15T09:00:00Z" },
          last: { type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: "Start at the last N messages of the pool (the first `count` of them that match)" },
          tags: tagsArg("Only messages carrying every one of these tags"),
          where: whereArg,
        },
        required: ["pool"],
      },
      output: { type: "object", properties: PAGE_PROPERTIES, required: PAGE_REQUIRED },
      annotations: READ_ONLY,
      async run(h, args) {
        const starts = ["after_seq", "since", "last"].filter((k) => args[k] !== undefined);
        if (starts.length > 1) throw new PlasmiteError("Usage", `plasmite_read: use only one of after_seq, since and last (got ${starts.join(" and ")})`);
        const from: ReadFrom =
          args.after_seq !== undefined ? { afterSeq: args.after_seq as number } : args.since !== undefined ? { sinceNs: sinceOf(args.since as string) } : args.last !== undefined ? { last: args.last as number } : { newest: true };
        const filter = await filterOf(args);
        const handle = openPool(h, args.pool as string);
        return { ...(await readPage(handle, from, (args.count as number | undefined) ?? DEFAULT_READ_COUNT, filter)) };
      },
    },
    {
      name: "plasmite_wait",
      title: "Wait for a message",
      description: [
        "Wait for the next message: returns as soon as one (matching tags and where) is in the pool, with any others already there (up to count),",
        `or with timed_out: true after timeout_ms (default ${defaultWait}, at most ${maxWait}).`,
        "Without after_seq it waits for messages appended after the call (the live edge); with after_seq, messages already after that seq return at once.",
        "To see every message exactly once, loop with after_seq = next_after_seq.",
      ].join(" "),
      access: "read",
      input: {
        properties: {
          pool: poolArg(),
          after_seq: afterSeqArg,
          count: { type: "integer", minimum: 1, maximum: MAX_COUNT, default: DEFAULT_READ_COUNT, description: `Most messages to return (default ${DEFAULT_READ_COUNT}, at most ${MAX_COUNT})` },
          timeout_ms: { type: "integer", minimum: 0, maximum: maxWait, default: defaultWait, description: `Longest wait in milliseconds (default ${defaultWait}, at most ${maxWait})` },
          tags: tagsArg("Only messages carrying every one of these tags"),
          where: whereArg,
        },
        required: ["pool"],
      },
      output: { type: "object", properties: { ...PAGE_PROPERTIES, timed_out: { type: "boolean", description: "No matching message arrived within timeout_ms" } }, required: [...PAGE_REQUIRED, "timed_out"] },
      annotations: READ_ONLY,
      async run(h, args, signal) {
        const filter = await filterOf(args);
        const handle = openPool(h, args.pool as string);
        const timeoutMs = (args.timeout_ms as number | undefined) ?? defaultWait;
        const releaseSlot = h.acquireWaitSlot();
        // the wait reads the mapping itself: the pool may be deleted (and its handle closed) meanwhile
        const releaseMapping = handle.retain();
        const lease = h.watchers.acquire(handle);
        try {
          h.holdOpen?.(timeoutMs);
          const page = await waitPage(handle, lease, { afterSeq: args.after_seq as number | undefined, count: (args.count as number | undefined) ?? DEFAULT_READ_COUNT, filter, timeoutMs, signal });
          return { ...page };
        } finally {
          lease.release();
          releaseMapping();
          releaseSlot();
        }
      },
    },
  ];
}

/** The page of a pool resource: its newest messages. */
export async function resourcePage(host: McpHost, name: string): Promise<Record<string, unknown>> {
  return { ...(await readPage(openPool(host, name), { newest: true }, RESOURCE_MESSAGES, { tags: [], where: null })) };
}

/** Checks a call's arguments against the tool's input schema (unknown arguments are refused). */
export function checkToolArguments(tool: ToolDef, args: unknown): Record<string, unknown> {
  return checkArguments<Record<string, unknown>>(tool.name, tool.input, args);
}

export function toolInputSchema(tool: ToolDef) {
  return inputJsonSchema(tool.input);
}

/** POOL-INFO without the server's file path: agents name pools. */
function poolJson(info: PoolInfo, name: string): Record<string, unknown> {
  const { path: _path, ...rest } = info;
  return { name, ...rest };
}

/** Opens a pool; a missing one says how to make it (with the tools this host offers). */
export function openPool(h: McpHost, name: string): PoolHandle {
  try {
    return h.pools.get(name);
  } catch (err) {
    throw withPoolHint(err, h);
  }
}

function withPoolHint(err: unknown, h: McpHost): unknown {
  if (!(err instanceof PlasmiteError) || err.kind !== "NotFound" || err.seq !== undefined) return err;
  const hint =
    h.access === "read-only"
      ? "plasmite_pool_list shows the pools there are."
      : 'Create it with plasmite_pool_create {"name": ...}, or feed with "create": true; plasmite_pool_list shows the pools there are.';
  return new PlasmiteError("NotFound", err.message, { hint });
}

/** Creates the pool (default size) unless it exists; losing a creation race to another writer is fine. */
function createIfMissing(h: McpHost, name: string): void {
  try {
    h.pools.get(name);
    return;
  } catch (err) {
    if (!(err instanceof PlasmiteError) || err.kind !== "NotFound") throw err;
  }
  try {
    h.pools.create(name, DEFAULT_POOL_SIZE_BYTES);
    h.poolsChanged?.();
  } catch (err) {
    if (!(err instanceof PlasmiteError) || err.kind !== "AlreadyExists") throw err;
  }
}

async function filterOf(args: Record<string, unknown>): Promise<MessageFilter> {
  const tags = (args.tags as string[] | undefined) ?? [];
  if (args.where === undefined) return { tags, where: null };
  // the filter code (and jq, for an expression JavaScript cannot answer) loads only when a call asks for it
  const { compileWhere } = await import("../filter/where.ts");
  return { tags, where: await compileWhere([args.where as string]) };
}

function sinceOf(text: string): bigint {
  try {
    return parseSince(text);
  } catch (err) {
    if (!(err instanceof PlasmiteError)) throw err;
    throw new PlasmiteError("Usage", `argument 'since' is not a time: '${text.slice(0, 64)}'`, { hint: "Use an age like 30s, 5m, 2h, 1d, or RFC 3339 like 2026-01-15T09:00:00Z." });
  }
}

function sizeOf(text: string): number {
  try {
    return parseSize(text, "size");
  } catch (err) {
    if (!(err instanceof PlasmiteError)) throw err;
    throw new PlasmiteError("Usage", `argument 'size' is not a size: '${text.slice(0, 64)}'`, { hint: 'Use bytes or a unit: "64K", "1M", "256M", "1G".' });
  }
}
