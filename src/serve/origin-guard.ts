// Which requests a server answers, whoever's browser sends them: the Host names it serves (DNS rebinding),
// the Origins that may write (cross-site requests), and the media type of request bodies (a `text/plain` or
// form POST needs no CORS preflight). Pure: decisions from header values, no I/O.
// Invariant: a request refused here has touched no pool.
import { PlasmiteError } from "../errors.ts";
import { isLoopback, isUnspecified } from "./options.ts";

/** Status for a Host the server does not serve (RFC 9110 §15.5.20: not the server for this authority). */
export const MISDIRECTED_STATUS = 421;
/** Status for a request body that is not JSON. */
export const UNSUPPORTED_MEDIA_STATUS = 415;

/** The host part of a Host header value, lower-case, without port, brackets or a trailing dot. */
export function hostOf(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(1, h.indexOf("]") < 0 ? undefined : h.indexOf("]"));
  const colon = h.lastIndexOf(":");
  return (colon >= 0 ? h.slice(0, colon) : h).replace(/\.$/, "");
}

function isIpLiteral(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");
}

export interface HostRules {
  /** The address the server is bound to (an IP literal). */
  bindHost: string;
  /** Extra names from --allow-host (checked with checkAllowHost). */
  allowHosts: readonly string[];
}

/**
 * Whether a Host header names this server: the bound address, a loopback address, `localhost` (and
 * `*.localhost`, which browsers resolve to loopback themselves), or an --allow-host name. A server bound to
 * the unspecified address (0.0.0.0, ::) also answers any IP literal: a DNS-rebinding page always sends its own
 * DNS name, never an address. A missing Host (HTTP/1.0) is not a browser's request and is answered.
 */
export function hostAllowed(header: string | null, rules: HostRules): boolean {
  if (header === null || header === "") return true;
  const host = hostOf(header);
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (isLoopback(host) || host === rules.bindHost.toLowerCase()) return true;
  if (isUnspecified(rules.bindHost) && isIpLiteral(host)) return true;
  return rules.allowHosts.includes(host);
}

export function misdirected(header: string): PlasmiteError {
  const e = new PlasmiteError("Permission", `forbidden: this server does not answer for host '${hostOf(header).slice(0, 100)}'`, {
    hint: "Use the server's address (e.g. http://127.0.0.1:9700), or start it with --allow-host NAME for a name that should reach it (or with a token).",
  });
  (e as PlasmiteError & { status?: number }).status = MISDIRECTED_STATUS;
  return e;
}

/**
 * Whether an Origin may write: absent (not a browser, or a same-origin GET), the server's own origin (its /ui
 * page, as reached through `scheme://Host`), or one of --cors-origin.
 */
export function originAllowed(origin: string | null, request: { scheme: string; host: string | null }, corsOrigins: ReadonlySet<string>): boolean {
  if (origin === null) return true;
  if (corsOrigins.has(origin)) return true;
  return request.host !== null && origin.toLowerCase() === `${request.scheme}//${request.host.toLowerCase()}`;
}

export function crossOriginWrite(origin: string): PlasmiteError {
  return new PlasmiteError("Permission", `forbidden: writes from origin '${origin.slice(0, 200)}' are not allowed`, {
    hint: "Start the server with --cors-origin ORIGIN to let pages from that origin write.",
  });
}

/** `application/json` or any `application/*+json` (RFC 6839), with or without parameters. */
export function isJsonMediaType(contentType: string | null): boolean {
  if (contentType === null) return false;
  const type = contentType.split(";")[0].trim().toLowerCase();
  return type === "application/json" || /^application\/[a-z0-9!#$&^_.+-]+\+json$/.test(type);
}

export function notJson(contentType: string | null): PlasmiteError {
  const e = new PlasmiteError("Usage", contentType ? `request body must be JSON, not '${contentType.slice(0, 100)}'` : "request body must be JSON (no Content-Type sent)", {
    hint: "Send Content-Type: application/json (curl: -H 'content-type: application/json').",
  });
  (e as PlasmiteError & { status?: number }).status = UNSUPPORTED_MEDIA_STATUS;
  return e;
}
