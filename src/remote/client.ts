// The HTTP client for remote pools (`pls poke http://host:9700/chat …`, `Client.connect(url)`): the same pool
// operations as a local PoolHandle, over protocol v0. Tails resume after a dropped connection from the last
// seq without duplicates, and report gaps when the server's ring overwrote messages not yet delivered.
import { PlasmiteError, isErrorKind, type ErrorKind } from "../errors.ts";
import { retentionGapError } from "../wire/gap.ts";
import { connectRetry, connectionError } from "./connect-errors.ts";
import type { Message } from "../wire/envelope.ts";
import type { Drop } from "../pool/cursor.ts";
import type { PoolInfo } from "../api/info.ts";

export interface RemoteOptions {
  token?: string;
  /** PEM of a CA (or the server's self-signed certificate) to trust. */
  tlsCa?: string;
  tlsSkipVerify?: boolean;
}

export interface RemoteTailOptions {
  /** Start at this seq (inclusive). Default: the live edge. */
  since?: number;
  /** Start with the last N messages. */
  last?: number;
  /** Start at the first message at or after this time (Unix ms). */
  sinceTimeMs?: number;
  /** Server-side tag filter: every tag must be present. */
  tags?: string[];
  /** Stop after this many ms without a message (default: follow forever). */
  idleTimeoutMs?: number;
  max?: number;
  signal?: AbortSignal;
  onDrop?: (drop: Drop) => void;
  gapPolicy?: "continue" | "error";
  /** How long to keep reconnecting to a server that went away (default RECONNECT_LIMIT_MS; Infinity: forever). */
  reconnectLimitMs?: number;
}

/** One streamed message: its seq and the envelope exactly as the server sent it. */
export interface RemoteLine {
  seq: number;
  json: string;
}

/** Server-side limit we ask for per tail connection; the stream is simply reopened after it. */
const TAIL_CONNECTION_MS = 25_000;
/** A follower whose server stopped answering (refused, reset, unknown host) gives up after this long. */
export const RECONNECT_LIMIT_MS = 30_000;

/** `http(s)://host:port/pool` → base URL and pool name (exactly one path segment, no query). */
export function parseRemoteRef(ref: string): { base: string; pool: string } {
  let u: URL;
  try {
    u = new URL(ref);
  } catch {
    throw new PlasmiteError("Usage", `invalid remote pool ref '${ref}'`, { hint: "Use http(s)://host:port/POOL." });
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new PlasmiteError("Usage", "remote pool ref must use http or https scheme");
  const segments = u.pathname.split("/").filter((s) => s !== "");
  if (u.search || u.hash || segments.length !== 1 || u.pathname.endsWith("/") || /%2f/i.test(u.pathname)) {
    throw new PlasmiteError("Usage", "remote pool ref must use shorthand http(s)://host:port/<pool>", { hint: "API-shaped URLs are not accepted as pool refs." });
  }
  let pool: string;
  try {
    pool = decodeURIComponent(segments[0]);
  } catch {
    throw new PlasmiteError("Usage", `invalid percent-encoding in remote pool ref '${ref}'`, { hint: "Use http(s)://host:port/POOL with a plain pool name." });
  }
  return { base: u.origin, pool };
}

export function isRemoteRef(ref: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(ref);
}

export class RemoteClient {
  readonly base: string;
  private readonly opts: RemoteOptions;

  constructor(base: string, opts: RemoteOptions = {}) {
    this.base = base.replace(/\/+$/, "");
    this.opts = opts;
  }

  /** @internal one request with auth, TLS options and the error envelope turned into a PlasmiteError. */
  async request(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    if ((this.opts.tlsCa || this.opts.tlsSkipVerify) && !isBun) {
      // Node's fetch has no per-request TLS options
      throw new PlasmiteError("Usage", "tlsCa and tlsSkipVerify need Bun; Node.js takes a CA for every connection instead", {
        hint: "Start Node.js with NODE_EXTRA_CA_CERTS=plasmite-tls-cert.pem, or run the program with Bun.",
      });
    }
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : body instanceof JsonText ? body.text : JSON.stringify(body),
        signal,
        tls: this.opts.tlsCa || this.opts.tlsSkipVerify ? { ca: this.opts.tlsCa, rejectUnauthorized: !this.opts.tlsSkipVerify } : undefined,
      } as RequestInit);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      throw await connectionError(this.base, err, { ca: this.opts.tlsCa });
    }
    if (!res.ok) throw await remoteError(res);
    return res;
  }

  async createPool(name: string, options: { sizeBytes?: number } = {}): Promise<RemotePoolHandle> {
    await this.request("POST", "/v0/pools", { pool: name, ...(options.sizeBytes ? { size_bytes: options.sizeBytes } : {}) });
    return new RemotePoolHandle(this, name);
  }

  /** No round trip: operations on a missing pool fail with NotFound (a write-only server can still be written). */
  openPool(name: string): RemotePoolHandle {
    return new RemotePoolHandle(this, name);
  }

  async listPools(): Promise<Array<{ name: string }>> {
    const body = (await (await this.request("GET", "/v0/pools")).json()) as { pools: Array<{ name: string }> };
    return body.pools;
  }

  async deletePool(name: string): Promise<void> {
    await this.request("DELETE", `/v0/pools/${encodeURIComponent(name)}`);
  }
}

export class RemotePoolHandle {
  readonly client: RemoteClient;
  readonly name: string;

  constructor(client: RemoteClient, name: string) {
    this.client = client;
    this.name = name;
  }

  get path(): string {
    return `${this.client.base}/${this.name}`;
  }

  private route(suffix: string): string {
    return `/v0/pools/${encodeURIComponent(this.name)}${suffix}`;
  }

  /** Appends one message; resolves to its receipt. */
  async append(data: Record<string, unknown>, options: { tags?: string[]; durability?: "fast" | "flush" } = {}): Promise<Message> {
    const res = await this.client.request("POST", this.route("/append"), { data, tags: options.tags ?? [], ...(options.durability ? { durability: options.durability } : {}) });
    return ((await res.json()) as { message: Message }).message;
  }

  /**
   * @internal The CLI's append: `dataText` is the JSON text of an object the caller has parsed and checked, sent
   * as is (the server stores a one-line text as sent, so big numbers keep their digits).
   */
  async appendDataText(dataText: string, options: { tags?: readonly string[]; durability?: "fast" | "flush" } = {}): Promise<Message> {
    const rest = `"tags":${JSON.stringify(options.tags ?? [])}${options.durability ? `,"durability":"${options.durability}"` : ""}`;
    const res = await this.client.request("POST", this.route("/append"), new JsonText(`{"data":${dataText},${rest}}`));
    return ((await res.json()) as { message: Message }).message;
  }

  async get(seq: number): Promise<Message> {
    return JSON.parse(await this.getJson(seq)) as Message;
  }

  /** The envelope text as the server sent it. */
  async getJson(seq: number): Promise<string> {
    const text = await (await this.client.request("GET", this.route(`/messages/${seq}`))).text();
    const start = text.indexOf(":");
    return text.slice(start + 1, text.lastIndexOf("}")); // {"message":ENVELOPE}
  }

  async info(): Promise<PoolInfo & { name: string }> {
    return ((await (await this.client.request("GET", this.route("/info"))).json()) as { pool: PoolInfo & { name: string } }).pool;
  }

  async *tail(options: RemoteTailOptions = {}): AsyncGenerator<Message> {
    for await (const line of this.tailLines(options)) yield JSON.parse(line.json) as Message;
  }

  /**
   * Envelope lines in seq order, across reconnects: each connection resumes at the next expected seq, so
   * nothing is repeated; a server-side overwrite shows up as a seq jump and is reported (or thrown).
   */
  async *tailLines(o: RemoteTailOptions = {}): AsyncGenerator<RemoteLine> {
    let next: number | null = o.since ?? null;
    let first = true;
    let delivered = 0;
    let backoffMs = 100;
    let idleDeadline = o.idleTimeoutMs === undefined ? Infinity : performance.now() + o.idleTimeoutMs;
    // The server refuses a timeout_ms above its --max-tail-timeout-ms; it says the limit, which is then used.
    let connectionMs = TAIL_CONNECTION_MS;
    const reconnectLimitMs = o.reconnectLimitMs ?? RECONNECT_LIMIT_MS;
    let connected = false;
    let unreachableSinceMs: number | undefined;
    if (next === null && o.last === undefined && o.sinceTimeMs === undefined) {
      // The live edge, pinned to a seq so a reconnect cannot skip what arrived in between.
      next = ((await this.info()).bounds.newest ?? 0) + 1;
    }
    while (!o.signal?.aborted) {
      const left = idleDeadline - performance.now();
      if (left <= 0) return;
      const q = new URLSearchParams();
      if (next !== null) q.set("since_seq", String(next));
      else if (first && o.last !== undefined) q.set("last", String(o.last));
      else if (first && o.sinceTimeMs !== undefined) q.set("since_time_ms", String(Math.floor(o.sinceTimeMs)));
      q.set("timeout_ms", String(Math.max(1, Math.min(connectionMs, Math.ceil(left)))));
      for (const t of o.tags ?? []) q.append("tag", t);
      // a tag filter skips messages: the server says how far it scanned, and the next connection starts there
      if ((o.tags ?? []).length > 0) q.set("progress", "1");
      if (o.gapPolicy === "error") q.set("gap_policy", "error");
      const ac = new AbortController();
      const onAbort = () => ac.abort();
      o.signal?.addEventListener("abort", onAbort, { once: true });
      try {
        const res = await this.client.request("GET", `${this.route("/tail")}?${q}`, undefined, ac.signal);
        backoffMs = 100;
        connected = true;
        unreachableSinceMs = undefined;
        for await (const text of readLines(res.body!)) {
          if (text.startsWith('{"error"')) throw remoteErrorFromBody(JSON.parse(text));
          if (text.startsWith('{"progress"')) {
            // every seq up to scanned_seq was scanned and none matched: resume after it (never go back)
            const scanned = Number((JSON.parse(text) as { progress?: { scanned_seq?: unknown } }).progress?.scanned_seq);
            if (Number.isSafeInteger(scanned) && (next === null || scanned >= next)) {
              next = scanned + 1;
              first = false;
            }
            continue;
          }
          const seq = Number(/^\{"seq":(\d+)/.exec(text)?.[1]);
          if (next !== null && seq > next && (o.tags ?? []).length === 0) {
            // messages next..seq-1 were overwritten on the server before this client got them
            const drop = { fromSeq: next, toSeq: seq - 1, count: seq - next };
            o.onDrop?.(drop);
            if (o.gapPolicy === "error") throw retentionGapError(drop.fromSeq, drop.toSeq);
          }
          if (next !== null && seq < next) continue; // already delivered before a reconnect
          next = seq + 1;
          first = false; // only a delivered message ends the original start (last / since_time_ms)
          if (o.idleTimeoutMs !== undefined) idleDeadline = performance.now() + o.idleTimeoutMs;
          yield { seq, json: text };
          if (o.max !== undefined && ++delivered >= o.max) return;
        }
      } catch (err) {
        if (o.signal?.aborted) return;
        const limit = err instanceof PlasmiteError && /timeout exceeds server limit/.test(err.message) ? Number(/<=\s*(\d+)/.exec(err.hint ?? "")?.[1]) : NaN;
        if (limit > 0 && limit < connectionMs) {
          connectionMs = limit;
          continue;
        }
        if (err instanceof PlasmiteError && err.kind !== "Io" && err.kind !== "Busy") throw err;
        // A certificate or TLS problem is final, and so is a server never reached (as for get and poke); one that
        // answered before and went away (restarting) is retried for reconnectLimitMs.
        const retry = connectRetry(err);
        if (retry !== undefined) {
          unreachableSinceMs ??= performance.now();
          if (retry === "never" || !connected) throw err;
          const downMs = performance.now() - unreachableSinceMs;
          if (downMs >= reconnectLimitMs) {
            const e = err as PlasmiteError;
            throw new PlasmiteError("Io", `${e.message} (retried for ${Math.round(downMs / 1000)} s after the connection was lost)`, { hint: e.hint, cause: e.cause });
          }
        }
        // Connection refused or dropped (e.g. the server restarted): retry, resuming at `next`.
        await sleepMs(Math.min(backoffMs, Math.max(0, idleDeadline - performance.now())));
        backoffMs = Math.min(2000, backoffMs * 2);
      } finally {
        o.signal?.removeEventListener("abort", onAbort);
        ac.abort();
      }
    }
  }
}

async function* readLines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buf = "";
  try {
    for await (const chunk of body) {
      buf += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line) yield line;
      }
    }
  } catch (err) {
    throw new PlasmiteError("Io", `connection lost: ${(err as Error).message}`);
  }
  if (buf.trim()) yield buf;
}

async function remoteError(res: Response): Promise<PlasmiteError> {
  const text = await res.text();
  try {
    return remoteErrorFromBody(JSON.parse(text), res.status);
  } catch {
    const kind: ErrorKind = res.status === 404 ? "NotFound" : res.status === 401 || res.status === 403 ? "Permission" : res.status === 423 ? "Busy" : res.status < 500 ? "Usage" : "Io";
    return new PlasmiteError(kind, `server answered ${res.status}: ${text.slice(0, 200)}`);
  }
}

function remoteErrorFromBody(body: { error?: { kind?: string; message?: string; hint?: string; seq?: number; offset?: number } }, status?: number): PlasmiteError {
  const e = body.error;
  if (!e || typeof e.message !== "string") throw new Error("not an error envelope");
  const kind = isErrorKind(e.kind) ? e.kind : "Internal";
  let hint = e.hint;
  if (status === 401) hint ??= "Pass --token-file (or --token) with the server's token.";
  return new PlasmiteError(kind, e.message, { hint, seq: e.seq, offset: e.offset });
}

/** A request body that is already JSON text (sent as is, not stringified again). */
export class JsonText {
  constructor(readonly text: string) {}
}

const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";

/** setTimeout as a promise (the client also runs on Node.js, which has no Bun.sleep). */
function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
