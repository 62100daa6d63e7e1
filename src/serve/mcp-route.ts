// The /mcp route of `pls serve`: MCP (Streamable HTTP, stateless) behind the rules of every other route. app.ts has
// already answered for the Host, Origin and token; this reads the body within --max-body-bytes (JSON only) and hands
// it to src/mcp/http.ts, loaded (with the MCP SDK) by the first request, never at start-up.
import { PlasmiteError } from "../errors.ts";
import { readJsonBody } from "./http.ts";
import type { ServeOptions } from "./options.ts";
import type { ServedPools } from "./pools.ts";
import type { Watchers } from "./watcher.ts";

type McpRouteContext = { request: Request; server?: { timeout(request: Request, seconds: number): void } | null };

/** The handler for every method on /mcp; `state.activeTails` counts waits with the tail streams. */
export function mcpRoute(o: ServeOptions, shared: { pools: ServedPools; watchers: Watchers; state: { activeTails: number } }) {
  return async ({ request, server }: McpRouteContext): Promise<Response> => {
    if (request.method !== "POST") {
      // no sessions, so no GET stream to open and no session to DELETE
      const body = { jsonrpc: "2.0", error: { code: -32000, message: `${request.method} /mcp is not supported: POST JSON-RPC requests (this server keeps no session)` }, id: null };
      return new Response(JSON.stringify(body), { status: 405, headers: { "content-type": "application/json", allow: "POST" } });
    }
    const body = await readJsonBody(request, o.maxBodyBytes);
    const { handleMcpPost } = await import("../mcp/http.ts");
    return handleMcpPost(request, body, {
      access: o.access,
      pools: shared.pools,
      watchers: shared.watchers,
      maxTailTimeoutMs: o.maxTailTimeoutMs,
      acquireTailSlot() {
        if (shared.state.activeTails >= o.maxTailConcurrency) {
          throw new PlasmiteError("Busy", "too many concurrent tail requests and waits", { hint: `The server allows ${o.maxTailConcurrency} (--max-tail-concurrency); retry later.` });
        }
        shared.state.activeTails++;
        let released = false;
        return () => {
          if (!released) shared.state.activeTails--;
          released = true;
        };
      },
      keepOpen: (seconds) => server?.timeout(request, seconds),
    });
  };
}
