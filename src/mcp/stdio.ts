// `pls mcp`: the MCP server on stdin/stdout (newline-delimited JSON-RPC) until stdin ends. Also sends what only a
// connection that stays open can: resources/updated for subscribed pools and resources/list_changed when pools
// come and go. Nothing but JSON-RPC is written to stdout.
// State: the open pools, their watchers and the subscriptions of this one session; all released when it ends.
import { watch, type FSWatcher } from "node:fs";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { PlasmiteError } from "../errors.ts";
import { ServedPools } from "../serve/pools.ts";
import type { AccessMode } from "../serve/options.ts";
import { Watchers, type WatchLease } from "../serve/watcher.ts";
import { createMcpServer, type Subscriptions } from "./server.ts";
import { MAX_WAIT_MS, type McpHost } from "./tools.ts";

/** Most plasmite_wait calls blocked at once in one session. */
export const MAX_CONCURRENT_WAITS = 64;
/** Least time between two resources/updated notifications for one pool (a busy pool sends one per interval). */
const UPDATE_INTERVAL_MS = 100;
/** How long a burst of directory changes settles before the pool list is compared. */
const LIST_SETTLE_MS = 50;

export interface StdioOptions {
  dir: string;
  access: AccessMode;
  lockTimeoutMs?: number;
}

/** Serves MCP on stdio; resolves once stdin has ended and every request in flight has been answered. */
export async function runMcpStdio(o: StdioOptions): Promise<void> {
  const pools = new ServedPools(o.dir, o.lockTimeoutMs);
  const watchers = new Watchers();
  const session = new AbortController();
  let waits = 0;
  const inFlight = new Set<string | number>();
  let ended = false;
  let initialized = false;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));

  let knownPools = new Set(safeList(pools));
  const notifyListChanged = () => {
    const now = new Set(safeList(pools));
    if (now.size === knownPools.size && [...now].every((n) => knownPools.has(n))) return;
    knownPools = now;
    // not before the client said it is ready (a pipelined create could otherwise come first)
    if (initialized) void server.sendResourceListChanged().catch(() => {});
  };

  const host: McpHost = {
    access: o.access,
    pools,
    watchers,
    maxWaitMs: MAX_WAIT_MS,
    signal: session.signal,
    acquireWaitSlot() {
      if (waits >= MAX_CONCURRENT_WAITS) {
        throw new PlasmiteError("Busy", `too many plasmite_wait calls at once (at most ${MAX_CONCURRENT_WAITS})`, { hint: "Wait for one to return, or use fewer concurrent waits." });
      }
      waits++;
      let released = false;
      return () => {
        if (!released) waits--;
        released = true;
      };
    },
    poolsChanged: notifyListChanged,
  };

  const readable = o.access !== "write-only";
  const subscribed = new Map<string, () => void>();
  const subscriptions: Subscriptions = {
    subscribe(uri, name) {
      if (subscribed.has(uri)) return;
      const handle = pools.get(name);
      const lease = watchers.acquire(handle);
      const release = handle.retain();
      const stop = new AbortController();
      subscribed.set(uri, () => {
        stop.abort();
        lease.release();
        release();
      });
      void sendUpdates(lease, stop.signal, () => server.sendResourceUpdated({ uri }));
    },
    unsubscribe(uri) {
      subscribed.get(uri)?.();
      subscribed.delete(uri);
    },
  };

  const server = createMcpServer(host, readable ? subscriptions : undefined);
  server.oninitialized = () => {
    initialized = true;
  };
  const transport = new StdioServerTransport();
  await server.connect(transport);
  // the requests not answered yet, so the end of stdin waits for their answers (a cancelled one gets none)
  const protocolOnMessage = transport.onmessage;
  transport.onmessage = (message) => {
    const m = message as { id?: string | number; method?: string; params?: { requestId?: string | number } };
    if (m.id !== undefined && m.method !== undefined) inFlight.add(m.id);
    if (m.method === "notifications/cancelled" && m.params?.requestId !== undefined) settled(m.params.requestId);
    protocolOnMessage?.(message);
  };
  const send = transport.send.bind(transport);
  transport.send = async (message) => {
    await send(message);
    const m = message as { id?: string | number; method?: string };
    if (m.id !== undefined && m.method === undefined) settled(m.id);
  };
  const settled = (id: string | number) => {
    inFlight.delete(id);
    if (ended && inFlight.size === 0) finish();
  };

  let dirWatch: FSWatcher | null = null;
  if (readable) {
    try {
      let timer: ReturnType<typeof setTimeout> | null = null;
      dirWatch = watch(o.dir, () => {
        if (timer) return;
        timer = setTimeout(() => {
          timer = null;
          notifyListChanged();
        }, LIST_SETTLE_MS);
      });
      dirWatch.on("error", () => {});
    } catch {
      dirWatch = null; // no directory yet: the list changes are still announced for pools made through the tools
    }
  }

  const endOfInput = () => {
    if (ended) return;
    ended = true;
    if (inFlight.size === 0) finish();
    // the longest a request can take is a wait's: the session ends by then whatever happens
    else setTimeout(finish, MAX_WAIT_MS + 1000).unref();
  };
  process.stdin.on("end", endOfInput);
  process.stdin.on("close", endOfInput);
  // the client went away: nothing more can be answered
  process.stdout.on("error", () => {
    ended = true;
    session.abort();
    finish();
  });

  await finished;
  session.abort();
  dirWatch?.close();
  for (const stop of subscribed.values()) stop();
  subscribed.clear();
  await server.close().catch(() => {});
  await watchers.stopAll();
  pools.closeAll();
  // everything written is handed to the pipe before the process exits
  await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
}

/** Sends `notify` after each publish to the pool, at most once per UPDATE_INTERVAL_MS, until `stop` aborts. */
async function sendUpdates(lease: WatchLease, stop: AbortSignal, notify: () => Promise<void>): Promise<void> {
  let gen = lease.generation();
  while (!stop.aborted) {
    await lease.wait(60_000, stop, gen);
    if (stop.aborted) return;
    const now = lease.generation();
    if (now === gen) continue;
    gen = now;
    await notify().catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, UPDATE_INTERVAL_MS));
  }
}

function safeList(pools: ServedPools): string[] {
  try {
    return pools.list();
  } catch {
    return [];
  }
}
