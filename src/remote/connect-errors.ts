// Failed connections to a server (refused, unknown host, TLS handshake, certificate checks) as a PlasmiteError
// (Io) that names the actual problem, and whether a follower may retry it. Error path only: nothing here runs on a
// request that succeeded. Never passes runtime advice text through ("pass `verbose: true` to fetch()").
import { PlasmiteError } from "../errors.ts";

/** What went wrong, from the error code of Bun's fetch (err.code) or Node's (err.cause.code). */
type Problem = "untrusted" | "name" | "expired" | "not-yet-valid" | "handshake" | "refused" | "reset" | "unknown-host" | "unreachable" | "other";

const PROBLEMS: Record<string, Problem> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "untrusted",
  DEPTH_ZERO_SELF_SIGNED_CERT: "untrusted",
  SELF_SIGNED_CERT_IN_CHAIN: "untrusted",
  UNABLE_TO_GET_ISSUER_CERT: "untrusted",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "untrusted",
  CERT_UNTRUSTED: "untrusted",
  CERT_SIGNATURE_FAILURE: "untrusted",
  CERT_REJECTED: "untrusted",
  INVALID_CA: "untrusted",
  ERR_TLS_CERT_ALTNAME_INVALID: "name",
  CERT_HAS_EXPIRED: "expired",
  CERT_NOT_YET_VALID: "not-yet-valid",
  EPROTO: "handshake",
  ERR_SSL_WRONG_VERSION_NUMBER: "handshake",
  ECONNREFUSED: "refused",
  ECONNRESET: "reset",
  ConnectionClosed: "reset",
  UND_ERR_SOCKET: "reset",
  ENOTFOUND: "unknown-host",
  EAI_AGAIN: "unknown-host",
  ETIMEDOUT: "unreachable",
  EHOSTUNREACH: "unreachable",
  ENETUNREACH: "unreachable",
  UND_ERR_CONNECT_TIMEOUT: "unreachable",
};

/** Problems that another attempt cannot fix: the certificate or the protocol is wrong, not the moment. */
const PERMANENT = new Set<Problem>(["untrusted", "name", "expired", "not-yet-valid", "handshake"]);

/** How long the error path waits for the server's certificate before reporting without it. */
const PEER_CERTIFICATE_TIMEOUT_MS = 3000;

interface PeerCertificate {
  names: string[];
  sha256: string;
  validFrom: string;
  validTo: string;
}

function codeOf(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * For a PlasmiteError made by connectionError: "never" (a certificate or TLS problem: retrying cannot help) or
 * "bounded" (refused, reset, unknown host: the server may be restarting). Anything else: undefined.
 */
export function connectRetry(err: unknown): "never" | "bounded" | undefined {
  if (!(err instanceof PlasmiteError) || err.kind !== "Io") return undefined;
  const code = codeOf(err.cause);
  if (code === undefined) return undefined;
  return PERMANENT.has(PROBLEMS[code] ?? "other") ? "never" : "bounded";
}

/**
 * The Io error for a fetch to `base` that failed before any answer. For certificate problems it connects once
 * more (without verifying, only to read the certificate) so the message can say what the certificate covers.
 */
export async function connectionError(base: string, err: unknown, tls: { ca?: string } = {}): Promise<PlasmiteError> {
  const code = codeOf(err);
  const problem = PROBLEMS[code ?? ""] ?? "other";
  const url = new URL(base);
  const host = bareHost(url.hostname);
  const says = (what: string, hint: string) => new PlasmiteError("Io", `cannot reach ${base}: ${what}`, { hint, cause: err });
  const peer = PERMANENT.has(problem) && problem !== "handshake" ? await peerCertificate(url) : null;
  const sha = peer ? ` (SHA-256 ${peer.sha256})` : "";
  const covers = peer ? `it covers ${peer.names.length > 0 ? peer.names.join(", ") : "no names"}` : "its names could not be read";
  switch (problem) {
    case "untrusted": {
      const nameToo = peer && !coversName(peer, host) ? ` It also does not cover the name '${host}' (${covers}).` : "";
      if (tls.ca === undefined) {
        return says(
          `the server's certificate${sha} is not trusted: it is self-signed or signed by an unknown CA`,
          `Pass --tls-ca with the server's certificate (plasmite-tls-cert.pem from \`pls serve init\`; \`pls serve\` prints its SHA-256 at start-up), or --tls-skip-verify for a test.${nameToo}`,
        );
      }
      const caSha = await fingerprintOf(tls.ca);
      return says(
        `the server's certificate${sha} does not match --tls-ca${caSha ? ` (SHA-256 ${caSha})` : ""}: it is neither that certificate nor signed by it`,
        `Pass --tls-ca with the certificate the server was started with (its --tls-cert); \`pls serve\` prints its SHA-256 at start-up.${nameToo}`,
      );
    }
    case "name":
      return says(
        `the server's certificate does not cover the name '${host}' (${covers})`,
        `Use a name the certificate covers in the URL, or make a certificate that covers this one: \`pls serve init --san ${host} --force\` (a new token and certificate: restart \`pls serve\` with them and pass the certificate to --tls-ca).`,
      );
    case "expired":
      return says(`the server's certificate${sha} has expired${peer ? ` (valid until ${peer.validTo})` : ""}`, "Make a new one with `pls serve init --force`, restart `pls serve` with it and pass it to --tls-ca.");
    case "not-yet-valid":
      return says(`the server's certificate${sha} is not valid yet${peer ? ` (valid from ${peer.validFrom})` : ""}`, "Check the clocks of this machine and of the server.");
    case "handshake":
      return says("the TLS handshake failed", url.protocol === "https:" ? "Does the server use TLS on this port? A server started without --tls-cert or --tls-self-signed takes http:// URLs." : "Check the URL.");
    case "refused":
      return says(`connection refused by ${url.host}`, "Is `pls serve` running, and listening on this host and port (its --bind)?");
    case "reset":
      return says("the server closed the connection", url.protocol === "http:" ? "If the server uses TLS (--tls-cert or --tls-self-signed), use https://." : "Check that the URL points at `pls serve`.");
    case "unknown-host":
      return says(`unknown host '${host}'`, "Check the host name in the URL.");
    case "unreachable":
      return says(`no route to ${url.host} (${code})`, "Check the address, and any firewall or VPN between here and the server.");
    default:
      return says(plainMessage(err), "Check the URL and that `pls serve` is running.");
  }
}

/** Whether the certificate covers `host` (a "*.example.com" name covers one label in front of example.com). */
function coversName(peer: PeerCertificate, host: string): boolean {
  return peer.names.some((n) => n === host || (n.startsWith("*.") && host.slice(host.indexOf(".")) === n.slice(1)));
}

/** The runtime's message without its advice about fetch options. */
function plainMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s*For more information, pass `verbose: true`.*$/s, "").replace(/\s*fetching "[^"]*"\.?$/, "") || "connection failed";
}

function bareHost(hostname: string): string {
  return hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
}

/** "IP Address:FD00:0:0:0:0:0:0:1" → "fd00::1", as URLs write it. */
function canonicalIp(ip: string): string {
  if (!ip.includes(":")) return ip;
  try {
    return bareHost(new URL(`http://[${ip}]/`).hostname);
  } catch {
    return ip.toLowerCase();
  }
}

/** The server's certificate, read over a connection that does not verify it (and sends nothing); null if unreadable. */
async function peerCertificate(url: URL): Promise<PeerCertificate | null> {
  const { connect } = await import("node:tls");
  const { isIP } = await import("node:net");
  const host = bareHost(url.hostname);
  return new Promise((resolve) => {
    let settled = false;
    const socket = connect({ host, port: Number(url.port || 443), rejectUnauthorized: false, ...(isIP(host) ? {} : { servername: host }) }, () => {
      const c = socket.getPeerCertificate();
      finish(
        c && typeof c.fingerprint256 === "string"
          ? {
              names: (c.subjectaltname ?? "")
                .split(", ")
                .map((entry) => /^(?:DNS:(.+)|IP Address:(.+))$/.exec(entry.trim()))
                .filter((m) => m !== null)
                .map((m) => (m[1] !== undefined ? m[1].toLowerCase() : canonicalIp(m[2]!))),
              sha256: c.fingerprint256,
              validFrom: c.valid_from,
              validTo: c.valid_to,
            }
          : null,
      );
    });
    const timer = setTimeout(() => finish(null), PEER_CERTIFICATE_TIMEOUT_MS);
    socket.on("error", () => finish(null));
    function finish(result: PeerCertificate | null) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    }
  });
}

/** SHA-256 of the first certificate in a PEM (the --tls-ca file), or null when it does not parse. */
async function fingerprintOf(pem: string): Promise<string | null> {
  try {
    const { X509Certificate } = await import("node:crypto");
    return new X509Certificate(pem).fingerprint256;
  } catch {
    return null;
  }
}
