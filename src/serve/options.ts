// Server configuration: defaults, parsing of the bind address, and the preflight rules that keep a server from
// being exposed by accident. Pure: no sockets, no files (token files are read by the caller).
import { PlasmiteError } from "../errors.ts";

export type AccessMode = "read-only" | "write-only" | "read-write";

export const DEFAULT_BIND = "127.0.0.1:9700";
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_MAX_TAIL_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_TAIL_CONCURRENCY = 64;
export const DEFAULT_CREATE_SIZE_BYTES = 1024 * 1024;
/** A connection with no request in flight is closed after this long (tail streams are exempt). */
export const DEFAULT_IDLE_TIMEOUT_S = 10;
/** Bun's largest idleTimeout. */
export const MAX_IDLE_TIMEOUT_S = 255;

export interface ServeOptions {
  /** Pool directory served. */
  dir: string;
  bind: string;
  token?: string;
  /** Where the token came from, for display ("--token" or "--token-file"); the value is never shown. */
  tokenSource?: "--token" | "--token-file";
  allowNonLoopback: boolean;
  insecureNoTls: boolean;
  /** `names` (SAN list) and `sha256` describe the certificate, for the start-up line and `serve check`. */
  tls?: { cert: string; key: string; source: "files" | "self-signed"; names?: string[]; sha256?: string };
  access: AccessMode;
  maxBodyBytes: number;
  maxTailTimeoutMs: number;
  maxTailConcurrency: number;
  corsOrigins: string[];
  /** How long an append waits for another writer's lock before 423 (default 5000 ms; --lock-timeout). */
  lockTimeoutMs?: number;
  /** Seconds before an idle keep-alive connection is closed (--idle-timeout-s; default DEFAULT_IDLE_TIMEOUT_S). */
  idleTimeoutS?: number;
  /** Host names answered besides the bound address, loopback and localhost (--allow-host; without a token). */
  allowHosts?: string[];
}

export interface BindAddress {
  host: string;
  port: number;
}

/** "127.0.0.1:9700", "[::1]:9700", "0.0.0.0:0" → host and port. */
export function parseBind(bind: string): BindAddress {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(bind) ?? /^([^:\s]+):(\d+)$/.exec(bind);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535 || !isIpLiteral(m[1])) {
    throw new PlasmiteError("Usage", `invalid bind address '${bind}'`, { hint: "Use IP:PORT, e.g. 127.0.0.1:9700, 0.0.0.0:9700 or [::1]:9700." });
  }
  return { host: m[1], port };
}

function isIpLiteral(host: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return host.split(".").every((o) => Number(o) <= 255);
  return host.includes(":");
}

export function isLoopback(host: string): boolean {
  return host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function isUnspecified(host: string): boolean {
  return host === "0.0.0.0" || host === "::";
}

/** The base URL clients use (an unspecified bind address is shown as loopback). */
export function baseUrl(o: Pick<ServeOptions, "bind" | "tls">, actualPort?: number): string {
  const { host, port } = parseBind(o.bind);
  const shown = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  const h = shown.includes(":") ? `[${shown}]` : shown;
  return `${o.tls ? "https" : "http"}://${h}:${actualPort ?? port}`;
}

/** Validates a CORS origin: exact scheme://host[:port], nothing else. */
export function checkCorsOrigin(origin: string): string {
  let u: URL | null = null;
  try {
    u = new URL(origin);
  } catch {
    u = null;
  }
  const ok = u && (u.protocol === "http:" || u.protocol === "https:") && !u.username && !u.password && u.pathname === "/" && !u.search && !u.hash && origin === u.origin;
  if (!ok) throw new PlasmiteError("Usage", `invalid --cors-origin '${origin}'`, { hint: "Use an exact origin such as https://app.example.com or http://localhost:5173 (no path, no wildcard)." });
  return origin;
}

const HOST_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Validates an `--allow-host` value: a DNS name or IP literal, without port or wildcard; lower-cased. */
export function checkAllowHost(name: string): string {
  const n = name.toLowerCase().replace(/\.$/, "");
  const ipv6 = /^\[?[0-9a-f:.]+\]?$/.test(n) && n.includes(":");
  if (!(HOST_NAME.test(n) && n.length <= 253) && !ipv6) {
    throw new PlasmiteError("Usage", `invalid --allow-host '${name}'`, { hint: "Use a host name as clients type it, without scheme or port, e.g. --allow-host pools.example.com." });
  }
  return ipv6 ? n.replace(/^\[|\]$/g, "") : n;
}

/** The rules a configuration must pass before binding (all Usage errors). */
export function preflight(o: ServeOptions): void {
  const { host } = parseBind(o.bind);
  const loopback = isLoopback(host);
  if (!loopback && !o.allowNonLoopback) {
    throw new PlasmiteError("Usage", `non-loopback bind ${o.bind} requires explicit opt-in`, { hint: "Pass --allow-non-loopback (and see `pls serve init` for a token and certificate)." });
  }
  if (!loopback && o.access !== "read-only") {
    if (o.tokenSource !== "--token-file") {
      throw new PlasmiteError("Usage", "non-loopback write access requires --token-file", { hint: "Create one with `pls serve init`, or use --access read-only." });
    }
    if (!o.tls && !o.insecureNoTls) {
      throw new PlasmiteError("Usage", "non-loopback write access requires TLS", { hint: "Pass --tls-cert/--tls-key (from `pls serve init`) or --tls-self-signed; --insecure-no-tls only on trusted networks." });
    }
  }
  for (const [name, v] of [["--max-body-bytes", o.maxBodyBytes], ["--max-tail-timeout-ms", o.maxTailTimeoutMs], ["--max-tail-concurrency", o.maxTailConcurrency]] as const) {
    if (!Number.isSafeInteger(v) || v <= 0) throw new PlasmiteError("Usage", `${name} must be a positive integer`);
  }
  if (o.idleTimeoutS !== undefined && (!Number.isSafeInteger(o.idleTimeoutS) || o.idleTimeoutS < 1 || o.idleTimeoutS > MAX_IDLE_TIMEOUT_S)) {
    throw new PlasmiteError("Usage", `--idle-timeout-s must be an integer from 1 to ${MAX_IDLE_TIMEOUT_S}`);
  }
  o.corsOrigins.forEach(checkCorsOrigin);
  o.allowHosts?.forEach(checkAllowHost);
}

/** What `serve check` and the start-up banner show (never the token). */
export function describe(o: ServeOptions, actualPort?: number) {
  const base = baseUrl(o, actualPort);
  return {
    status: "valid",
    listen: o.bind,
    base_url: base,
    web_ui: `${base}/ui`,
    web_ui_pool: `${base}/ui/pools/demo`,
    mcp: `${base}/mcp`,
    auth: o.token ? `bearer token (${o.tokenSource ?? "--token"})` : "none",
    tls: o.tls ? (o.tls.source === "self-signed" ? "self-signed" : "enabled") : "disabled",
    ...(o.tls?.sha256 ? { certificate: { names: o.tls.names ?? [], sha256: o.tls.sha256 } } : {}),
    access: o.access,
    cors_origins: o.corsOrigins,
    allow_hosts: o.allowHosts ?? [],
    limits: { max_body_bytes: o.maxBodyBytes, max_tail_timeout_ms: o.maxTailTimeoutMs, max_tail_concurrency: o.maxTailConcurrency, idle_timeout_s: o.idleTimeoutS ?? DEFAULT_IDLE_TIMEOUT_S },
  };
}
