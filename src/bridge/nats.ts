// The bridge's NATS connection: options as NATS users know them (servers, creds, token, user/password, TLS),
// a first connect retried with backoff until it works or is refused for good (authentication: Permission),
// reconnects with capped backoff afterwards, and connection events logged once each.
// Invariant: nothing loops while disconnected: every retry sleeps a backoff delay first.
import { readFileSync } from "node:fs";
import { connect, credsAuthenticator, errors, type NatsConnection, type NodeConnectionOptions } from "@nats-io/transport-node";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { PlasmiteError } from "../errors.ts";

/** How a bridge reaches NATS. */
export interface NatsOptions {
  /** `nats://host:4222` (or `tls://…`), one or several (a cluster). */
  servers: string | string[];
  /** A credentials file (JWT and nkey seed), as `nats --creds`. */
  creds?: string;
  token?: string;
  user?: string;
  password?: string;
  /** A CA certificate file to verify the server's TLS certificate (turns TLS on). */
  tlsCa?: string;
  /** A client certificate and key (mutual TLS). */
  tlsCert?: string;
  tlsKey?: string;
  /** The connection's name in the server's monitoring (default "plasmite bridge"). */
  name?: string;
}

/** Reconnect backoff: starts here, doubles, capped (plus jitter from the client). */
export const RECONNECT_MIN_MS = 250;
export const RECONNECT_MAX_MS = 2_000;
/** How long one connection attempt may take. */
export const CONNECT_TIMEOUT_MS = 5_000;

/** The connection options for `opts`; reads the creds file and checks combinations (Usage errors). */
export function connectionOptions(opts: NatsOptions): NodeConnectionOptions {
  const servers = (Array.isArray(opts.servers) ? opts.servers : [opts.servers]).map(checkServer);
  if (opts.token !== undefined && (opts.user !== undefined || opts.creds !== undefined)) {
    throw new PlasmiteError("Usage", "--token cannot be combined with --user or --creds", { hint: "Use one way to authenticate." });
  }
  if ((opts.user === undefined) !== (opts.password === undefined)) {
    throw new PlasmiteError("Usage", "--user and --password go together");
  }
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) {
    throw new PlasmiteError("Usage", "--tls-cert and --tls-key go together");
  }
  let attempt = 0;
  const out: NodeConnectionOptions = {
    servers,
    name: opts.name ?? "plasmite bridge",
    timeout: CONNECT_TIMEOUT_MS,
    maxReconnectAttempts: -1,
    reconnectDelayHandler: () => Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** Math.min(10, attempt++)),
    reconnectJitter: 100,
    pingInterval: 10_000,
    maxPingOut: 3,
    // no Error (with its stack) captured per request: a publish is a request, thousands a second
    noAsyncTraces: true,
  };
  if (opts.token !== undefined) out.token = opts.token;
  if (opts.user !== undefined) {
    out.user = opts.user;
    out.pass = opts.password;
  }
  if (opts.creds !== undefined) out.authenticator = credsAuthenticator(readFileOrUsage(opts.creds, "--creds"));
  if (opts.tlsCa !== undefined || opts.tlsCert !== undefined) {
    out.tls = {};
    if (opts.tlsCa !== undefined) out.tls.ca = new TextDecoder().decode(readFileOrUsage(opts.tlsCa, "--tls-ca"));
    if (opts.tlsCert !== undefined) {
      out.tls.cert = new TextDecoder().decode(readFileOrUsage(opts.tlsCert, "--tls-cert"));
      out.tls.key = new TextDecoder().decode(readFileOrUsage(opts.tlsKey!, "--tls-key"));
    }
  }
  // reset the backoff once connected again (see watchConnection)
  (out as { resetBackoff?: () => void }).resetBackoff = () => (attempt = 0);
  return out;
}

function checkServer(url: string): string {
  if (!/^(nats|tls|ws|wss):\/\/[^/\s]+\/?$/i.test(url) && !/^[^/\s:]+:\d+$/.test(url)) {
    throw new PlasmiteError("Usage", `not a NATS server URL: '${url}'`, { hint: "Write it as nats://HOST:PORT, e.g. nats://127.0.0.1:4222." });
  }
  return url;
}

function readFileOrUsage(path: string, flag: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new PlasmiteError("Usage", `cannot read ${flag} file ${path}: ${(err as Error).message}`, { path });
  }
}

/** True for a refusal that retrying cannot fix: bad credentials, an expired or revoked user, no permission. */
export function isAuthFailure(err: unknown): boolean {
  if (err instanceof errors.AuthorizationError || err instanceof errors.UserAuthenticationExpiredError) return true;
  if (err instanceof errors.PermissionViolationError) return true;
  const text = String((err as Error)?.message ?? err).toLowerCase();
  return text.includes("authorization violation") || text.includes("authentication");
}

const CERTIFICATE_CODES = new Set(["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "DEPTH_ZERO_SELF_SIGNED_CERT", "SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID", "ERR_TLS_CERT_ALTNAME_INVALID"]);

/** True for a TLS certificate the client does not trust (unknown issuer, self-signed, expired, another name). */
export function isCertificateFailure(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown; message?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === "string" && CERTIFICATE_CODES.has(e.code)) return true;
    if (typeof e.message === "string" && /unable to verify the first certificate|self[- ]signed certificate|certificate has expired|certificate is not yet valid|does not match certificate's altnames/i.test(e.message)) return true;
  }
  return false;
}

/** A JetStream API answer that another try may change (no leader yet, a cluster busy electing one). */
function isTransientApiError(err: Error & { status?: number }): boolean {
  return err.status === 503 || /temporarily unavailable|no suitable peers|leader|insufficient resources|timeout/i.test(err.message);
}

/**
 * A NATS failure as the PlasmiteError the CLI presents: refused credentials are Permission, a definite
 * JetStream refusal (overlapping subjects, JetStream not enabled for the account, a bad configuration) is
 * Usage, and anything retrying may fix (unreachable, timeouts, no leader, no responders) is Io.
 */
export function natsError(err: unknown, what: string): PlasmiteError {
  if (err instanceof PlasmiteError) return err;
  const message = (err as Error)?.message ?? String(err);
  if (isAuthFailure(err)) {
    return new PlasmiteError("Permission", `${what}: ${message}`, { hint: "Check --creds, --token or --user/--password against the server's accounts.", cause: err });
  }
  const name = (err as Error)?.name;
  if (/not enabled for account/i.test(message)) {
    return new PlasmiteError("Usage", `${what}: JetStream is not enabled for this account`, { hint: "Enable JetStream for the account in the server's configuration.", cause: err });
  }
  if (name === "JetStreamApiError" && !isTransientApiError(err as Error)) {
    return new PlasmiteError("Usage", `${what}: ${message}`, { cause: err });
  }
  return new PlasmiteError("Io", `${what}: ${message}`, { cause: err });
}

/**
 * Connects, retrying with backoff while the server cannot be reached (logging each failure once per delay),
 * until `signal` aborts (then null). Authentication failures throw Permission at once.
 */
export async function connectWithRetry(opts: NatsOptions, log: (line: string) => void, signal?: AbortSignal): Promise<NatsConnection | null> {
  const options = connectionOptions(opts);
  const where = options.servers!.toString();
  for (let delay = RECONNECT_MIN_MS; ; delay = Math.min(RECONNECT_MAX_MS, delay * 2)) {
    if (signal?.aborted) return null;
    try {
      const nc = await connect(options);
      watchConnection(nc, options, log);
      log(`connected to ${nc.getServer()}`);
      return nc;
    } catch (err) {
      if (isAuthFailure(err)) throw natsError(err, `NATS refused ${where}`);
      if (err instanceof PlasmiteError) throw err;
      if (isCertificateFailure(err)) {
        // retrying cannot make an untrusted or mismatched certificate trusted (as the remote HTTP client decides)
        throw new PlasmiteError("Io", `cannot trust the TLS certificate of ${where}: ${(err as Error).message}`, {
          hint: opts.tlsCa === undefined ? "Pass --tls-ca with the CA (or the self-signed certificate) the server's certificate comes from." : `The certificate does not match --tls-ca ${opts.tlsCa}, or does not name this host.`,
          cause: err,
        });
      }
      log(`cannot reach ${where}: ${(err as Error).message}; retrying in ${(delay / 1000).toFixed(2)} s`);
      await sleep(delay, signal);
    }
  }
}

/** Logs disconnects and reconnects (not every attempt in between). */
function watchConnection(nc: NatsConnection, options: NodeConnectionOptions, log: (line: string) => void): void {
  void (async () => {
    let down = false;
    for await (const s of nc.status()) {
      if (s.type === "disconnect" && !down) {
        down = true;
        log(`disconnected from ${s.server}; reconnecting with backoff`);
      } else if (s.type === "reconnect") {
        down = false;
        (options as { resetBackoff?: () => void }).resetBackoff?.();
        log(`reconnected to ${s.server}`);
      } else if (s.type === "error") {
        log(`server error: ${s.error.message}`);
      }
    }
  })().catch(() => {});
}

/** The JetStream API of a fresh connection; a server without JetStream (-js) is Usage, not retried. */
export async function jetStreamOf(nc: NatsConnection, timeoutMs: number): Promise<JetStreamManager> {
  try {
    return await jetstreamManager(nc, { timeout: timeoutMs });
  } catch (err) {
    if ((err as Error).name === "JetStreamNotEnabled") {
      throw new PlasmiteError("Usage", `JetStream is not enabled on ${nc.getServer()}`, { hint: "Start nats-server with -js (or enable JetStream in its configuration).", cause: err });
    }
    throw err;
  }
}

/** Sleeps `ms`, or less if `signal` aborts. */
/**
 * Runs `step` until it succeeds, sleeping the reconnect backoff after each failure that retrying may fix (NATS
 * unreachable, no JetStream leader yet, a stream not created yet); other failures are thrown. `describe` words a
 * retried failure for the log. Returns undefined once `signal` aborts.
 */
export async function retryWithBackoff<T>(
  step: () => Promise<T>,
  what: string,
  o: { signal: AbortSignal; log: (line: string) => void; describe?: (err: unknown, e: PlasmiteError) => string },
): Promise<T | undefined> {
  for (let delay = RECONNECT_MIN_MS; ; delay = Math.min(RECONNECT_MAX_MS, delay * 2)) {
    if (o.signal.aborted) return undefined;
    try {
      return await step();
    } catch (err) {
      if (err instanceof PlasmiteError && err.kind !== "Io") throw err;
      const e = natsError(err, what);
      if (e.kind !== "Io" && (err as Error).name !== "StreamNotFoundError") throw e;
      o.log(`${o.describe?.(err, e) ?? `${what}: ${e.message}`}; retrying in ${(delay / 1000).toFixed(2)} s`);
      await sleep(delay, o.signal);
    }
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
