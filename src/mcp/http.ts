// MCP over Streamable HTTP for `pls serve` (POST /mcp): stateless, one SDK server and transport per request,
// answers as JSON (no session, no SSE stream). The route in src/serve/mcp-route.ts has already applied the server's
// Host, Origin, token and body rules; the access mode picks the tools here. Loaded by the first /mcp request only.
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { ServedPools } from "../serve/pools.ts";
import type { AccessMode } from "../serve/options.ts";
import type { Watchers } from "../serve/watcher.ts";
import { createMcpServer } from "./server.ts";
import { MAX_WAIT_MS } from "./tools.ts";

export interface HttpMcpContext {
  access: AccessMode;
  pools: ServedPools;
  watchers: Watchers;
  /** The server's --max-tail-timeout-ms: a wait blocks no longer than this either. */
  maxTailTimeoutMs: number;
  /** The server's tail slots (--max-tail-concurrency), shared with tail streams: a wait takes one. */
  acquireTailSlot(): () => void;
  /** Keeps the request's connection open at least `seconds` (the server closes idle ones). */
  keepOpen(seconds: number): void;
}

/** Answers one POST /mcp whose JSON body was already read (and limited) by the route. */
export async function handleMcpPost(request: Request, body: unknown, c: HttpMcpContext): Promise<Response> {
  const server = createMcpServer({
    access: c.access,
    pools: c.pools,
    watchers: c.watchers,
    maxWaitMs: Math.min(MAX_WAIT_MS, c.maxTailTimeoutMs),
    acquireWaitSlot: c.acquireTailSlot,
    // a client that hangs up ends its wait
    signal: request.signal,
    // Bun (1.4) does not close a connection whose answer is pending, but --idle-timeout-s is allowed to: say so
    holdOpen: (ms) => c.keepOpen(Math.ceil(ms / 1000) + 5),
  });
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  try {
    return await transport.handleRequest(request, { parsedBody: body });
  } finally {
    void server.close().catch(() => {});
  }
}
