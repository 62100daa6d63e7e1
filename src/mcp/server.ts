// An MCP server (the official SDK's protocol Server) for one pool directory: initialize with instructions, the tools
// the access mode allows, pools as resources. Transports are the caller's (stdio.ts, http.ts).
// Invariant: a tool's failure is an isError result carrying {error_kind, message, hint}; only a request the protocol
// itself refuses (an unknown tool, a bad resource URI) is a JSON-RPC error.
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type CallToolResult,
} from "@modelcontextprotocol/sdk/types.js";
import { PlasmiteError, asPlasmiteError } from "../errors.ts";
import { VERSION } from "../cli/version.ts";
import { ERROR_SCHEMA, POOL_NAME_PATTERN, checkToolArguments, resourcePage, toolInputSchema, toolsFor, type McpHost, type ToolDef } from "./tools.ts";

export const RESOURCE_PREFIX = "plasmite:///pools/";
/** JSON-RPC error code for a resource that does not exist (MCP specification, resources). */
const RESOURCE_NOT_FOUND = -32002;

/** Resource subscriptions, where the transport can send notifications outside a request (stdio). */
export interface Subscriptions {
  subscribe(uri: string, pool: string): void;
  unsubscribe(uri: string): void;
}

/** What initialize tells an agent: what pools are and how to start, for the tools this server offers. */
export function instructionsFor(access: McpHost["access"]): string {
  const lines = [
    "plasmite pools are named, persistent message logs on this machine that many agents and programs can write and read at once: a way to hand work and results between agents.",
    'Each message is a JSON object (data) with optional string tags; the pool gives it a seq (1, 2, 3, … in append order) and a time. A pool has a fixed size: when it is full, the oldest messages are overwritten.',
  ];
  if (access !== "write-only") {
    lines.push(
      "Start with plasmite_pool_list. plasmite_read {pool} returns the newest messages; page forward with after_seq = next_after_seq (fell_behind: true means messages were overwritten before you read them).",
      "plasmite_wait {pool, after_seq} blocks until the next message arrives (or timeout_ms passes): loop on it with after_seq = next_after_seq to take every message once.",
      "Filter with tags (all must match) or where, a jq expression on the message, e.g. .data.status == \"done\".",
    );
  }
  if (access !== "read-only") {
    lines.push('plasmite_feed {pool, data: {...}, tags?, create: true} appends a message (creating the pool if needed); plasmite_pool_create makes a pool of a chosen size.');
  }
  if (access !== "read-write") lines.push(`This server is ${access}: only the ${access === "read-only" ? "reading" : "writing"} tools are offered.`);
  return lines.join("\n");
}

function allowed(access: McpHost["access"], tool: ToolDef): boolean {
  return access === "read-write" || (access === "read-only" ? tool.access === "read" : tool.access === "write");
}

/** The isError result for a failure: the error's kind, message and hint, as text and as structured content. */
export function errorResult(err: unknown): CallToolResult {
  const e = asPlasmiteError(err);
  const structured: Record<string, unknown> = { error_kind: e.kind, message: e.message };
  if (e.hint !== undefined) structured.hint = e.hint;
  return { isError: true, content: [{ type: "text", text: `${e.kind}: ${e.message}${e.hint ? `\nhint: ${e.hint}` : ""}` }], structuredContent: structured };
}

function protocolError(code: number, message: string, data?: unknown): Error {
  return Object.assign(new Error(message), { code, data });
}

/** A Server answering for `host`'s pools. `subscriptions` only where notifications can be sent (stdio). */
export function createMcpServer(host: McpHost, subscriptions?: Subscriptions): Server {
  const all = toolsFor(host);
  const tools = all.filter((t) => allowed(host.access, t));
  const readable = host.access !== "write-only";
  const server = new Server(
    { name: "plasmite", title: "plasmite pools", version: VERSION },
    {
      capabilities: {
        tools: { listChanged: false },
        ...(readable ? { resources: { subscribe: subscriptions !== undefined, listChanged: subscriptions !== undefined } } : {}),
      },
      instructions: instructionsFor(host.access),
    },
  );

  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: tools.map((t) => ({
      name: t.name,
      title: t.title,
      description: t.description,
      inputSchema: toolInputSchema(t),
      // a failed call's structured content is the error shape: clients check it against this schema too
      outputSchema: { type: "object" as const, anyOf: [t.output, ERROR_SCHEMA] },
      annotations: { title: t.title, ...t.annotations },
    })),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const tool = all.find((t) => t.name === request.params.name);
    if (!tool) throw protocolError(ErrorCode.InvalidParams, `unknown tool '${request.params.name.slice(0, 100)}'; tools/list shows the tools`);
    try {
      if (!allowed(host.access, tool)) {
        throw new PlasmiteError("Permission", `forbidden: ${tool.name} needs ${tool.access} access and this server is ${host.access}`, { hint: "tools/list shows the tools this server offers." });
      }
      const args = checkToolArguments(tool, request.params.arguments);
      const signal = host.signal ? AbortSignal.any([extra.signal, host.signal]) : extra.signal;
      const structured = await tool.run(host, args, signal);
      return { content: [{ type: "text" as const, text: JSON.stringify(structured) }], structuredContent: structured };
    } catch (err) {
      return errorResult(err);
    }
  });

  if (!readable) return server;

  server.setRequestHandler(ListResourcesRequestSchema, () => ({
    resources: host.pools.list().map((name) => ({
      uri: RESOURCE_PREFIX + name,
      name,
      title: `pool ${name}`,
      description: `The newest messages of pool ${name}`,
      mimeType: "application/json",
    })),
  }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
    resourceTemplates: [{ uriTemplate: `${RESOURCE_PREFIX}{name}`, name: "pool", title: "A pool", description: "The newest messages of a pool (up to 20), as plasmite_read returns them", mimeType: "application/json" }],
  }));
  server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    const uri = request.params.uri;
    const name = poolOfUri(uri);
    try {
      const page = await resourcePage(host, name);
      return { contents: [{ uri, mimeType: "application/json", text: JSON.stringify(page) }] };
    } catch (err) {
      const e = asPlasmiteError(err);
      const data = errorResult(e).structuredContent;
      if (e.kind === "NotFound") throw protocolError(RESOURCE_NOT_FOUND, `resource not found: ${uri.slice(0, 200)}`, data);
      throw protocolError(e.kind === "Usage" ? ErrorCode.InvalidParams : ErrorCode.InternalError, `${e.kind}: ${e.message}`, data);
    }
  });
  if (subscriptions) {
    server.setRequestHandler(SubscribeRequestSchema, (request) => {
      subscriptions.subscribe(request.params.uri, poolOfUri(request.params.uri));
      return {};
    });
    server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
      subscriptions.unsubscribe(request.params.uri);
      return {};
    });
  }
  return server;
}

/** The pool a resource URI names; InvalidParams for any other URI. */
export function poolOfUri(uri: string): string {
  let name = "";
  try {
    if (uri.startsWith(RESOURCE_PREFIX)) name = decodeURIComponent(uri.slice(RESOURCE_PREFIX.length));
  } catch {
    name = ""; // a malformed %-escape
  }
  if (!new RegExp(POOL_NAME_PATTERN).test(name) || name.includes("..")) {
    throw protocolError(ErrorCode.InvalidParams, `not a pool resource: '${uri.slice(0, 200)}'`, { hint: `Pool resources are ${RESOURCE_PREFIX}NAME (resources/list shows them).` });
  }
  return name;
}
