// Self-signed TLS material for `pls serve`: ECDSA P-256 certificates built with @peculiar/x509 on WebCrypto.
// Never hand-encode ASN.1 here and never write files or log key material: callers own storage.
// The names a certificate covers are chosen here (certificateHosts), for `serve init` and --tls-self-signed alike.
import { isIP } from "node:net";
import { hostname, networkInterfaces } from "node:os";
import { PlasmiteError } from "../errors.ts";

type X509Module = typeof import("@peculiar/x509");

export interface CertificatePair {
  certPem: string;
  keyPem: string;
}

/** Clock skew allowance: a client a few minutes behind must not see a "not yet valid" certificate. */
const BACKDATE_MS = 5 * 60 * 1000;
const VALIDITY_MS = 365 * 24 * 60 * 60 * 1000;
const EC_KEY = { name: "ECDSA", namedCurve: "P-256" };
const SIGNING = { name: "ECDSA", hash: "SHA-256" };

let x509Module: Promise<X509Module> | undefined;

/**
 * Loads @peculiar/x509 on first use. It registers its algorithms through tsyringe, which needs the Reflect
 * metadata API: the `reflect-metadata` polyfill is loaded first (a static import of x509 could run before it).
 */
export function loadX509(): Promise<X509Module> {
  return (x509Module ??= import("reflect-metadata").then(() => import("@peculiar/x509")));
}

/**
 * Self-signed certificate + PKCS#8 private key (PEM) whose SubjectAltName covers every host (DNS names as
 * dNSName, IP literals as iPAddress); subject CN is the first host. Valid one year from five minutes ago unless
 * `validity` says otherwise (tests make expired certificates with it).
 *
 * basicConstraints is CA:false and keyUsage is digitalSignature only: a leaf, not an authority that could sign
 * other certificates. Clients still accept it when told to trust it (Bun 1.4.4 fetch `tls.ca`, curl --cacert
 * on OpenSSL 3): a trusted self-signed certificate is a trust anchor on its own, and CA:true/keyCertSign are
 * only required of certificates that issue other certificates. Verified in init.test.ts.
 */
export async function generateSelfSigned(hosts: string[], validity: { notBefore?: Date; validityMs?: number } = {}): Promise<CertificatePair> {
  if (hosts.length === 0) throw new Error("generateSelfSigned needs at least one host");
  const x509 = await loadX509();
  const keys = (await crypto.subtle.generateKey(EC_KEY, true, ["sign", "verify"])) as CryptoKeyPair;
  const notBefore = validity.notBefore ?? new Date(Date.now() - BACKDATE_MS);
  const names = hosts.map((h) => ({ type: isIP(h) ? ("ip" as const) : ("dns" as const), value: h }));
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      // JSON form, not "CN=..." text: an IPv6 host or odd characters cannot be misparsed as DN syntax.
      name: [{ CN: [hosts[0]!] }],
      keys,
      notBefore,
      notAfter: new Date(notBefore.getTime() + (validity.validityMs ?? VALIDITY_MS)),
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        // keyEncipherment is an RSA key-transport usage; an ECDSA key only ever signs the handshake.
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(names),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
  // The library's PEM has no final newline; text files and `cat` expect one.
  return { certPem: `${cert.toString("pem")}\n`, keyPem: `${x509.PemConverter.encode(pkcs8, "PRIVATE KEY")}\n` };
}

/** What this machine is called on the network: its host name and non-loopback addresses. */
export interface LocalNames {
  hostname: string;
  addresses: { address: string; family: "IPv4" | "IPv6" }[];
}

/** The host name and the addresses of every interface that is up and not loopback (os.networkInterfaces). */
export function localNames(): LocalNames {
  const addresses: LocalNames["addresses"] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (!a.internal) addresses.push({ address: a.address, family: a.family === "IPv6" ? "IPv6" : "IPv4" });
    }
  }
  return { hostname: hostname(), addresses };
}

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "::1"];
const DNS_NAME = /^(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * The SAN list for a server bound to `bindHost`: loopback names always; for a wildcard bind (empty, 0.0.0.0, ::)
 * the machine's host name and non-loopback addresses (IPv4 only for 0.0.0.0, which listens on IPv4 only;
 * IPv6 link-local addresses are left out: a URL cannot use them without a zone), otherwise the bind host; then
 * each `sans` entry. Duplicates are dropped; the first name (localhost) becomes the subject CN.
 */
export function certificateHosts(bindHost = "", sans: readonly string[] = [], local: LocalNames = localNames()): string[] {
  const hosts: string[] = [];
  const add = (name: string) => {
    const n = normalizeHost(name);
    if (n !== "" && !hosts.includes(n)) hosts.push(n);
  };
  LOOPBACK_NAMES.forEach(add);
  const host = normalizeHost(bindHost);
  if (host === "" || host === "0.0.0.0" || host === "::") {
    const name = local.hostname.toLowerCase();
    if (DNS_NAME.test(name) && name.length <= 253) add(name);
    for (const a of local.addresses) {
      if (a.family === "IPv6" && (host === "0.0.0.0" || /^fe[89ab]/i.test(a.address))) continue;
      add(a.address);
    }
  } else {
    add(host);
  }
  sans.forEach(add);
  return hosts;
}

/** A `--san` value: an IP address or a DNS name (a leading `*.` allowed), returned as it goes into the SAN. */
export function checkSan(name: string): string {
  const n = normalizeHost(name);
  if (isIP(n) === 0 && !(DNS_NAME.test(n) && n.length <= 253)) {
    throw new PlasmiteError("Usage", `invalid --san '${name}'`, { hint: "Use a host name or IP address as clients type it in URLs, without scheme or port: --san pools.example.com, --san 10.0.0.5." });
  }
  return n;
}

/** Lower-case, without IPv6 brackets or a trailing dot; IPv6 in its shortest form (as URLs show it). */
function normalizeHost(name: string): string {
  const n = name.trim().replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "").toLowerCase();
  if (isIP(n) !== 6) return n;
  try {
    return new URL(`http://[${n}]/`).hostname.slice(1, -1);
  } catch {
    return n;
  }
}

/** The names a certificate covers (its SAN entries: DNS names and IP addresses), as clients would type them. */
export async function certificateNames(certPem: string): Promise<string[]> {
  const x509 = await loadX509();
  const san = new x509.X509Certificate(certPem).getExtension(x509.SubjectAlternativeNameExtension);
  return (san?.names.toJSON() ?? []).filter((n) => n.type === "dns" || n.type === "ip").map((n) => normalizeHost(n.value));
}

/**
 * What `pls serve` shows of the certificate it serves: the names it covers and its SHA-256 fingerprint, from the
 * first certificate of the PEM (a chain file starts with the server's own). Not a certificate: Usage, naming `path`.
 */
export async function certificateSummary(certPem: string, path = "the certificate"): Promise<{ names: string[]; sha256: string }> {
  const first = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(certPem)?.[0];
  try {
    if (first === undefined) throw new Error("no BEGIN CERTIFICATE block");
    return { names: await certificateNames(first), sha256: await certificateFingerprint(first) };
  } catch (err) {
    throw new PlasmiteError("Usage", `${path} is not a PEM certificate: ${(err as Error).message}`, { path, hint: "Pass the certificate (plasmite-tls-cert.pem from `pls serve init`) to --tls-cert and its key to --tls-key." });
  }
}

/** SHA-256 of the certificate's DER bytes as "AB:CD:…", the form browsers and openssl display. */
export async function certificateFingerprint(certPem: string): Promise<string> {
  const x509 = await loadX509();
  // Parsing (not just base64-decoding) rejects a PEM that is not a certificate, e.g. a key passed by mistake.
  const digest = await crypto.subtle.digest("SHA-256", new x509.X509Certificate(certPem).rawData);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0").toUpperCase()).join(":");
}
