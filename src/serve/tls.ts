// Self-signed TLS material for `pls serve`: ECDSA P-256 certificates built with @peculiar/x509 on WebCrypto.
// Never hand-encode ASN.1 here and never write files or log key material: callers own storage.
import { isIP } from "node:net";

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
 * dNSName, IP literals as iPAddress); subject CN is the first host. Valid one year from five minutes ago.
 *
 * basicConstraints is CA:false and keyUsage is digitalSignature only: a leaf, not an authority that could sign
 * other certificates. Clients still accept it when told to trust it (Bun 1.4.4 fetch `tls.ca`, curl --cacert
 * on OpenSSL 3): a trusted self-signed certificate is a trust anchor on its own, and CA:true/keyCertSign are
 * only required of certificates that issue other certificates. Verified in init.test.ts.
 */
export async function generateSelfSigned(hosts: string[]): Promise<CertificatePair> {
  if (hosts.length === 0) throw new Error("generateSelfSigned needs at least one host");
  const x509 = await loadX509();
  const keys = (await crypto.subtle.generateKey(EC_KEY, true, ["sign", "verify"])) as CryptoKeyPair;
  const notBefore = new Date(Date.now() - BACKDATE_MS);
  const names = hosts.map((h) => ({ type: isIP(h) ? ("ip" as const) : ("dns" as const), value: h }));
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      // JSON form, not "CN=..." text: an IPv6 host or odd characters cannot be misparsed as DN syntax.
      name: [{ CN: [hosts[0]!] }],
      keys,
      notBefore,
      notAfter: new Date(notBefore.getTime() + VALIDITY_MS),
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

/** Default SAN list: loopback names plus the bind host when it names one specific address. */
export function defaultCertHosts(bindHost?: string): string[] {
  const hosts = ["localhost", "127.0.0.1", "::1"];
  const host = (bindHost ?? "").trim().replace(/^\[(.*)\]$/, "$1");
  const wildcard = host === "" || host === "0.0.0.0" || host === "::";
  if (!wildcard && !hosts.includes(host.toLowerCase())) hosts.push(host);
  return hosts;
}

/** SHA-256 of the certificate's DER bytes as "AB:CD:…", the form browsers and openssl display. */
export async function certificateFingerprint(certPem: string): Promise<string> {
  const x509 = await loadX509();
  // Parsing (not just base64-decoding) rejects a PEM that is not a certificate, e.g. a key passed by mistake.
  const digest = await crypto.subtle.digest("SHA-256", new x509.X509Certificate(certPem).rawData);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0").toUpperCase()).join(":");
}
