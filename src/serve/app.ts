// The HTTP server (`pls serve`): protocol v0 routes on Elysia, bearer auth, access modes, body and tail limits,
// CORS, the embedded web UI. Handlers only translate HTTP to the library API; storage rules live in src/pool.
import { timingSafeEqual } from "node:crypto";
import { Elysia } from "elysia";
import { PlasmiteError, asPlasmiteError } from "../errors.ts";
import { checkedTags, dataText, memberSource } from "../api/message-text.ts";
import { envelopeOfData } from "../wire/index.ts";
import { POOL_EXTENSION } from "../api/refs.ts";
import type { Durability, PoolInfo } from "../api/client.ts";
import uiHtmlText from "../ui/index.html" with { type: "text" };
import { PROTOCOL_HEADER, PROTOCOL_VERSION, errorResponseWithStatus, json, readJsonBody, readJsonBodyText, usage } from "./http.ts";
import { DEFAULT_CREATE_SIZE_BYTES, DEFAULT_IDLE_TIMEOUT_S, checkAllowHost, parseBind, type ServeOptions } from "./options.ts";
import { crossOriginWrite, hostAllowed, misdirected, originAllowed } from "./origin-guard.ts";
import { mcpRoute } from "./mcp-route.ts";
import { ServedPools } from "./pools.ts";
import { parseTailParams, tailResponse, type TailFormat } from "./tail.ts";
import { Watchers } from "./watcher.ts";

/** "mcp": the Origin and token rules of a write; the access mode then decides per tool (src/mcp). */
type Access = "read" | "write" | "none" | "mcp";
/** What a handler gets from Elysia's context. */
type RouteContext = { request: Request; params: Record<string, string>; server?: { timeout(request: Request, seconds: number): void } | null };

// A text import (bun's types describe .html imports as HTML bundles; with type "text" it is the page's source).
const uiHtml = uiHtmlText as unknown as string;

export interface RunningServer {
  url: string;
  port: number;
  stop(): Promise<void>;
  stats(): { activeTails: number; watchedPools: number };
}

/** Builds the app; `listen` is the caller's (startServer, or tests). */
export function buildApp(o: ServeOptions) {
  const pools = new ServedPools(o.dir, o.lockTimeoutMs);
  const watchers = new Watchers();
  const state = { activeTails: 0 };
  const tokenBytes = o.token ? Buffer.from(o.token) : null;
  const cors = new Set(o.corsOrigins);
  // With a token, a rebinding page cannot authenticate: the Host check guards token-less servers.
  const hostRules = o.token ? null : { bindHost: parseBind(o.bind).host, allowHosts: (o.allowHosts ?? []).map(checkAllowHost) };

  const corsHeaders = (request: Request): Record<string, string> => {
    const origin = request.headers.get("origin");
    if (!origin || !cors.has(origin)) return {};
    return { "access-control-allow-origin": origin, vary: "Origin" };
  };

  const authorize = (request: Request, access: Access) => {
    if (access === "write" || access === "mcp") {
      const origin = request.headers.get("origin");
      if (!originAllowed(origin, { scheme: new URL(request.url).protocol, host: request.headers.get("host") }, cors)) throw crossOriginWrite(origin!);
    }
    if (access === "none") return;
    if (tokenBytes) {
      const header = request.headers.get("authorization");
      if (!header) throw new PlasmiteError("Permission", "unauthorized: missing bearer token", { hint: "Send Authorization: Bearer <token>." });
      // auth schemes are case-insensitive (RFC 9110 §11.1): "bearer x" is "Bearer x"
      const given = Buffer.from(/^bearer +(.*)$/i.exec(header)?.[1] ?? "");
      if (given.length !== tokenBytes.length || !timingSafeEqual(given, tokenBytes)) {
        throw new PlasmiteError("Permission", "unauthorized: invalid bearer token");
      }
    }
    if (access === "read" && o.access === "write-only") throw new PlasmiteError("Permission", "forbidden: access mode disallows read operations");
    if (access === "write" && o.access === "read-only") throw new PlasmiteError("Permission", "forbidden: access mode disallows write operations");
  };

  /** Wraps a handler: auth, errors as the JSON envelope, CORS headers. */
  const route =
    (access: Access, fn: (ctx: RouteContext) => Response | Promise<Response>) =>
    async (ctx: RouteContext): Promise<Response> => {
      let res: Response;
      try {
        authorize(ctx.request, access);
        res = await fn(ctx);
      } catch (err) {
        res = errorResponseWithStatus(err);
      }
      for (const [k, v] of Object.entries(corsHeaders(ctx.request))) res.headers.set(k, v);
      return res;
    };

  // POOL-INFO with `path` as NAME.plasmite: the Rust clients require the member, but clients name pools and
  // never see the server's directory layout.
  const wirePath = (name: string) => (name.endsWith(POOL_EXTENSION) ? name : `${name}${POOL_EXTENSION}`);
  const infoJson = (info: PoolInfo, name: string) => {
    const { path: _path, ...rest } = info;
    return { ...rest, name, path: wirePath(name) };
  };
  const poolJson = (name: string) => infoJson(pools.get(name).info(), name);
  // One unreadable pool (corrupt, truncated, not ours to read) is listed with its error; the others still are.
  const listedPool = (name: string) => {
    try {
      return poolJson(name);
    } catch (err) {
      return { name, path: wirePath(name), error: asPlasmiteError(err).toJSON() };
    }
  };

  const tail = (format: TailFormat) =>
    route("read", ({ request, params, server }) => {
      const p = parseTailParams(new URL(request.url), request.headers, o.maxTailTimeoutMs);
      const handle = pools.get(params.pool);
      if (state.activeTails >= o.maxTailConcurrency) {
        throw new PlasmiteError("Busy", "too many concurrent tail requests", { hint: `The server allows ${o.maxTailConcurrency} (--max-tail-concurrency); retry later.` });
      }
      // Everything that can fail comes before the slot and the lease are taken (a start by time reads frames).
      const fromSeq = handle.cursor(p.start).nextSeq; // `last=N`: the last N messages, which the tags then filter
      // The stream keeps the mapping alive itself: the pool may be deleted (and its handle closed) meanwhile.
      const releaseMapping = handle.retain();
      state.activeTails++;
      // A stream is quiet while its pool is (up to timeout_ms): it is not an idle connection.
      server?.timeout(request, 0);
      const lease = watchers.acquire(handle);
      const done = () => {
        state.activeTails--;
        releaseMapping();
      };
      return tailResponse(format, handle, fromSeq, p, lease, request.signal, done, corsHeaders(request));
    });

  const uiPage = () => new Response(uiHtml, { headers: { "content-type": "text/html; charset=utf-8", [PROTOCOL_HEADER]: PROTOCOL_VERSION, "cache-control": "no-cache" } });

  const app = new Elysia()
    .onRequest(({ request }) => {
      // DNS rebinding: a page on the attacker's name, resolved to this address, sends that name as Host.
      const host = request.headers.get("host");
      if (hostRules && !hostAllowed(host, hostRules)) return errorResponseWithStatus(misdirected(host!));
      if (request.method !== "OPTIONS") return;
      const h = corsHeaders(request);
      if (!h["access-control-allow-origin"]) return new Response(null, { status: 403 });
      return new Response(null, {
        status: 204,
        headers: { ...h, "access-control-allow-methods": "GET, POST, DELETE, OPTIONS", "access-control-allow-headers": "Authorization, Content-Type, Last-Event-ID, Mcp-Protocol-Version", "access-control-max-age": "600" },
      });
    })
    .get("/healthz", route("none", () => json({ ok: true, active_tails: state.activeTails, watched_pools: watchers.count })))
    .get("/ui", route("none", uiPage))
    .get("/ui/pools/:pool", route("none", uiPage))
    .get("/v0/pools", route("read", () => json({ pools: pools.list().map(listedPool) })))
    .get("/v0/ui/pools", route("read", () => json({ pools: pools.list().map(listedPool) })))
    .post(
      "/v0/pools",
      route("write", async ({ request }) => {
        const body = await readJsonBody(request, o.maxBodyBytes);
        const { pool, size_bytes } = (body ?? {}) as { pool?: unknown; size_bytes?: unknown };
        if (typeof pool !== "string") throw usage("pool is required", 'Send {"pool":"name","size_bytes":1048576}.');
        if (size_bytes !== undefined && (typeof size_bytes !== "number" || !Number.isSafeInteger(size_bytes))) throw usage("size_bytes must be an integer");
        const h = pools.create(pool, (size_bytes as number | undefined) ?? DEFAULT_CREATE_SIZE_BYTES);
        return json({ pool: infoJson(h.info(), pool) });
      }),
      { parse: "none" },
    )
    .post(
      "/v0/pools/open",
      route("read", async ({ request }) => {
        const body = (await readJsonBody(request, o.maxBodyBytes)) as { pool?: unknown } | null;
        if (typeof body?.pool !== "string") throw usage("pool is required", 'Send {"pool":"name"}.');
        return json({ pool: poolJson(body.pool) });
      }),
      { parse: "none" },
    )
    .get("/v0/pools/:pool/info", route("read", ({ params }) => json({ pool: poolJson(params.pool) })))
    .get("/v0/ui/pools/:pool/info", route("read", ({ params }) => json({ pool: poolJson(params.pool) })))
    .delete(
      "/v0/pools/:pool",
      route("write", ({ params }) => {
        pools.delete(params.pool);
        return json({ ok: true });
      }),
    )
    .post(
      "/v0/pools/:pool/append",
      route("write", async ({ request, params }) => {
        const { value, text } = await readJsonBodyText(request, o.maxBodyBytes);
        const body = value as { data?: unknown; tags?: unknown; durability?: unknown } | null;
        if (body === null || typeof body !== "object" || Array.isArray(body)) throw usage("request body must be a JSON object", 'Send {"data":{...},"tags":["t"]}.');
        const tags = checkedTags(body.tags ?? []);
        const durability = body.durability ?? "fast";
        if (durability !== "fast" && durability !== "flush") throw usage("invalid durability", "Use fast or flush.");
        // data is stored as it was sent when that is one line, as `pls poke` stores it (see dataText)
        const data = dataText(body.data, memberSource(text, "data") ?? undefined);
        const times: number[] = [];
        const seq = await pools.append(params.pool, [data], tags, durability as Durability, times);
        const message = envelopeOfData(seq, times[0], times[1], tags, data);
        return new Response(`{"message":${message}}`, { headers: { "content-type": "application/json", [PROTOCOL_HEADER]: PROTOCOL_VERSION } });
      }),
      { parse: "none" },
    )
    .get(
      "/v0/pools/:pool/messages/:seq",
      route("read", ({ params }) => {
        // past 2^53 a seq text would read as another number (or as 1e+23): refused as given, never rounded
        if (!/^\d+$/.test(params.seq) || !Number.isSafeInteger(Number(params.seq))) throw usage(`invalid seq '${params.seq.slice(0, 40)}'`, `seq is a positive integer (at most ${Number.MAX_SAFE_INTEGER}).`);
        const h = pools.get(params.pool);
        // no message has seq 0: NotFound, as from the Rust server (whose clients read 404 as "not there")
        if (Number(params.seq) === 0) throw new PlasmiteError("NotFound", "message 0 not found (seqs start at 1)", { seq: 0 });
        return new Response(`{"message":${h.getJson(Number(params.seq))}}`, { headers: { "content-type": "application/json", [PROTOCOL_HEADER]: PROTOCOL_VERSION } });
      }),
    )
    .get("/v0/pools/:pool/tail", tail("jsonl"))
    .get("/v0/pools/:pool/events", tail("sse"))
    .get("/v0/ui/pools/:pool/events", tail("sse"))
    // MCP for agents (Streamable HTTP, stateless; src/serve/mcp-route.ts)
    .all("/mcp", route("mcp", mcpRoute(o, { pools, watchers, state })), { parse: "none" })
    .onError(({ code, request }) => {
      if (code === "NOT_FOUND") {
        const e = new PlasmiteError("NotFound", `no route for ${request.method} ${new URL(request.url).pathname}`, { hint: "See spec/remote/v0/SPEC.md for the routes." });
        return errorResponseWithStatus(e);
      }
      return errorResponseWithStatus(new PlasmiteError("Internal", `request failed (${String(code)})`));
    });

  return { app, pools, watchers, state };
}

/** Binds and serves; resolves once listening. */
export async function startServer(o: ServeOptions): Promise<RunningServer> {
  const { app, pools, watchers, state } = buildApp(o);
  const { host, port } = parseBind(o.bind);
  app.listen({
    hostname: host,
    port,
    // Bodies are read and limited by the handlers (413 with the JSON envelope, checked on Content-Length before
    // reading); Bun's own limit is only a far backstop, since its 413 has no envelope.
    maxRequestBodySize: Math.max(o.maxBodyBytes * 4, 64 * 1024 * 1024),
    // Keep-alive connections with no request in flight are closed (each holds a descriptor); tail streams opt
    // out per request. Bun checks idle sockets every few seconds, so the bound is approximate.
    idleTimeout: o.idleTimeoutS ?? DEFAULT_IDLE_TIMEOUT_S,
    ...(o.tls ? { tls: { cert: o.tls.cert, key: o.tls.key } } : {}),
  });
  const server = app.server!;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    port: server.port!,
    url: `${o.tls ? "https" : "http"}://${shownHost === "0.0.0.0" ? "127.0.0.1" : shownHost}:${server.port}`,
    stats: () => ({ activeTails: state.activeTails, watchedPools: watchers.count }),
    async stop() {
      await app.stop(true);
      await watchers.stopAll();
      pools.closeAll();
    },
  };
}
