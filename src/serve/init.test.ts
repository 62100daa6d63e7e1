// `pls serve init` and its certificates on real files and a real Bun TLS server: modes, refusals, SANs, trust.
// Tests must never print a token; they compare token files with each other, not against logged values.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PlasmiteError } from "../errors.ts";
import { serveInit, type InitOptions, type InitResult } from "./init.ts";
import { hostname, networkInterfaces } from "node:os";
import { certificateFingerprint, certificateHosts, certificateSummary, checkSan, generateSelfSigned, loadX509, type LocalNames } from "./tls.ts";

const root = mkdtempSync(join(tmpdir(), "plasmite-serve-init-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshDir = () => join(root, `d${counter++}`, "nested");

const artifactList = (r: InitResult) => [r.artifact_paths.token_file, r.artifact_paths.tls_cert, r.artifact_paths.tls_key];
const snapshot = (paths: string[]) => paths.map((p) => readFileSync(p));

async function initIn(dir: string, extra: Partial<InitOptions> = {}): Promise<InitResult> {
  return serveInit({ outputDir: dir, bind: "10.1.2.3:9700", ...extra });
}

async function rejection(p: Promise<unknown>): Promise<PlasmiteError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PlasmiteError);
    return err as PlasmiteError;
  }
  throw new Error("expected a rejection");
}

async function sanValues(certPem: string): Promise<string[]> {
  const x509 = await loadX509();
  const san = new x509.X509Certificate(certPem).getExtension(x509.SubjectAlternativeNameExtension);
  return san ? san.names.toJSON().map((n) => `${n.type}:${n.value}`) : [];
}

describe("serveInit artifacts", () => {
  test("writes token, certificate and key with mode 0600 into a created directory", async () => {
    const dir = freshDir();
    const r = await initIn(dir);
    expect(r.artifact_paths).toEqual({
      token_file: join(dir, "plasmite-auth-token.txt"),
      tls_cert: join(dir, "plasmite-tls-cert.pem"),
      tls_key: join(dir, "plasmite-tls-key.pem"),
    });
    for (const p of artifactList(r)) expect(statSync(p).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    // No temp files left beside the artifacts.
    expect(readdirSync(dir).sort()).toEqual(["plasmite-auth-token.txt", "plasmite-tls-cert.pem", "plasmite-tls-key.pem"]);
    expect(readFileSync(r.artifact_paths.token_file, "utf8")).toMatch(/^[0-9a-f]{64}\n$/);
    expect(readFileSync(r.artifact_paths.tls_key, "utf8")).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
  });

  test("token is fresh on every run", async () => {
    const a = await initIn(freshDir());
    const b = await initIn(freshDir());
    expect(readFileSync(a.artifact_paths.token_file, "utf8")).not.toBe(readFileSync(b.artifact_paths.token_file, "utf8"));
  });

  test("the token never appears in the result", async () => {
    const r = await initIn(freshDir());
    const token = readFileSync(r.artifact_paths.token_file, "utf8").trim();
    expect(JSON.stringify(r)).not.toContain(token);
  });

  test("relative artifact names resolve against outputDir; absolute ones are kept", async () => {
    const dir = freshDir();
    const elsewhere = join(root, `abs${counter++}`, "cert.pem");
    const r = await initIn(dir, { tokenFile: "secrets/tok.txt", tlsCert: elsewhere, tlsKey: "k.pem" });
    expect(r.artifact_paths).toEqual({ token_file: join(dir, "secrets", "tok.txt"), tls_cert: elsewhere, tls_key: join(dir, "k.pem") });
    for (const p of artifactList(r)) expect(statSync(p).mode & 0o777).toBe(0o600);
  });
});

describe("serveInit refusals", () => {
  test("refuses to overwrite without --force and leaves every file byte-for-byte unchanged", async () => {
    const dir = freshDir();
    const first = await initIn(dir);
    const before = snapshot(artifactList(first));
    const err = await rejection(initIn(dir));
    expect(err.kind).toBe("AlreadyExists");
    expect(err.message).toBe(`serve init artifact already exists: ${err.path}`);
    expect(artifactList(first)).toContain(err.path!);
    expect(err.hint).toBe("Use --force to overwrite, or --output-dir for another directory.");
    expect(snapshot(artifactList(first))).toEqual(before);
    const token = before[0]!.toString("utf8").trim();
    expect(JSON.stringify(err.toJSON())).not.toContain(token);
  });

  test("one existing artifact is enough to refuse, and then nothing is written", async () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "plasmite-tls-key.pem"), "mine\n");
    const err = await rejection(initIn(dir));
    expect(err.kind).toBe("AlreadyExists");
    expect(err.path).toBe(join(dir, "plasmite-tls-key.pem"));
    expect(readdirSync(dir)).toEqual(["plasmite-tls-key.pem"]);
    expect(readFileSync(join(dir, "plasmite-tls-key.pem"), "utf8")).toBe("mine\n");
  });

  test("--force overwrites with a new token, new certificate and owner-only modes", async () => {
    const dir = freshDir();
    const first = await initIn(dir);
    const before = snapshot(artifactList(first));
    chmodSync(first.artifact_paths.token_file, 0o644); // a loosened file must come back 0600
    const second = await initIn(dir, { force: true });
    const after = snapshot(artifactList(second));
    expect(after[0]!.toString()).toMatch(/^[0-9a-f]{64}\n$/);
    expect(after[0]!.equals(before[0]!)).toBe(false);
    expect(after[1]!.equals(before[1]!)).toBe(false);
    expect(second.fingerprint).not.toBe(first.fingerprint);
    for (const p of artifactList(second)) expect(statSync(p).mode & 0o777).toBe(0o600);
  });

  test("the three paths must be distinct, however they are spelled", async () => {
    const dir = freshDir();
    const same = await rejection(initIn(dir, { tokenFile: "x.pem", tlsCert: "x.pem" }));
    expect(same.kind).toBe("Usage");
    const spelled = await rejection(initIn(dir, { tlsKey: join(dir, "sub", "..", "plasmite-tls-cert.pem") }));
    expect(spelled.kind).toBe("Usage");
    expect(existsSync(dir)).toBe(false);
  });

  test("a malformed --bind is a usage error", async () => {
    for (const bind of ["9700", "localhost", "::1:9700", "[::1]", "host:port", "127.0.0.1:0", "127.0.0.1:70000", "[not-v6]:9700", "a b:9700"]) {
      const err = await rejection(serveInit({ outputDir: freshDir(), bind }));
      expect(err.kind).toBe("Usage");
    }
  });

  test("an output directory that is a file is an Io error naming the path", async () => {
    const file = join(root, `file${counter++}`);
    writeFileSync(file, "");
    const err = await rejection(serveInit({ outputDir: file, bind: "127.0.0.1:9700" }));
    expect(err.kind).toBe("Io");
    expect(err.path).toStartWith(file);
  });

  test("an unwritable directory is a Permission error", async () => {
    const dir = join(root, `ro${counter++}`);
    mkdirSync(dir);
    // root ignores file modes: make the directory a read-only mount instead (EROFS), else drop write permission
    const asRoot = process.getuid?.() === 0;
    if (asRoot) expect(Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", dir]).exitCode).toBe(0);
    else chmodSync(dir, 0o500);
    try {
      const err = await rejection(serveInit({ outputDir: dir, bind: "127.0.0.1:9700" }));
      expect(err.kind).toBe("Permission");
    } finally {
      if (asRoot) Bun.spawnSync(["umount", dir]);
      else chmodSync(dir, 0o700);
    }
  });
});

describe("serveInit certificate and next commands", () => {
  test("certificate SANs, subject, extensions and fingerprint", async () => {
    const r = await initIn(freshDir());
    const pem = readFileSync(r.artifact_paths.tls_cert, "utf8");
    const x509 = await loadX509();
    const cert = new x509.X509Certificate(pem);
    expect(await sanValues(pem)).toEqual(["dns:localhost", "ip:127.0.0.1", "ip:::1", "ip:10.1.2.3"]);
    expect(cert.subject).toBe("CN=localhost");
    expect(await cert.isSelfSigned()).toBe(true);
    const basic = cert.getExtension(x509.BasicConstraintsExtension)!;
    expect([basic.ca, basic.critical]).toEqual([false, true]);
    expect(cert.getExtension(x509.KeyUsagesExtension)!.usages).toBe(x509.KeyUsageFlags.digitalSignature);
    expect(cert.getExtension(x509.ExtendedKeyUsageExtension)!.usages).toEqual([x509.ExtendedKeyUsage.serverAuth]);
    expect(cert.getExtension(x509.SubjectKeyIdentifierExtension)).not.toBeNull();
    expect(cert.publicKey.algorithm).toMatchObject({ name: "ECDSA", namedCurve: "P-256" });
    const now = Date.now();
    expect(cert.notBefore.getTime()).toBeLessThan(now - 60_000);
    expect(cert.notAfter.getTime() - now).toBeGreaterThan(360 * 86_400_000);
    expect(r.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const thumb = Buffer.from(await cert.getThumbprint("SHA-256")).toString("hex").toUpperCase();
    expect(r.fingerprint.replaceAll(":", "")).toBe(thumb);
    expect(await certificateFingerprint(pem)).toBe(r.fingerprint);
  });

  test("a wildcard bind puts this machine's name and addresses in the certificate; commands use 127.0.0.1", async () => {
    const local: LocalNames = { hostname: "Box", addresses: [{ address: "192.168.1.20", family: "IPv4" }, { address: "fd00::20", family: "IPv6" }, { address: "fe80::1", family: "IPv6" }] };
    const r = await serveInit({ outputDir: freshDir(), bind: "0.0.0.0:9700", local });
    const sans = await sanValues(readFileSync(r.artifact_paths.tls_cert, "utf8"));
    // 0.0.0.0 listens on IPv4 only: no IPv6 address; the host name lower-cased
    expect(sans).toEqual(["dns:localhost", "ip:127.0.0.1", "ip:::1", "dns:box", "ip:192.168.1.20"]);
    expect(r.names).toEqual(["localhost", "127.0.0.1", "::1", "box", "192.168.1.20"]);
    expect(r.next_commands[1]).toContain("'https://127.0.0.1:9700/v0/pools/demo/append'");
    const v6 = await serveInit({ outputDir: freshDir(), bind: "[::]:9700", local });
    expect(v6.names).toEqual(["localhost", "127.0.0.1", "::1", "box", "192.168.1.20", "fd00::20"]);
  });

  test("with this machine's real name and interfaces: os.hostname() and a non-loopback address are covered", async () => {
    const r = await serveInit({ outputDir: freshDir(), bind: "0.0.0.0:9700" });
    const sans = await sanValues(readFileSync(r.artifact_paths.tls_cert, "utf8"));
    expect(sans.slice(0, 3)).toEqual(["dns:localhost", "ip:127.0.0.1", "ip:::1"]);
    const name = hostname().toLowerCase();
    if (/^[a-z0-9.-]+$/.test(name)) expect(sans).toContain(`dns:${name}`);
    const v4 = Object.values(networkInterfaces()).flat().filter((a) => a && !a.internal && a.family === "IPv4");
    for (const a of v4) expect(sans).toContain(`ip:${a!.address}`);
    expect(await sanValues(readFileSync(r.artifact_paths.tls_cert, "utf8"))).toEqual(r.names.map((n) => `${/^[\d.]+$|:/.test(n) ? "ip" : "dns"}:${n}`));
  });

  test("--san adds DNS names and IP addresses; a malformed one is Usage and writes nothing", async () => {
    const r = await initIn(freshDir(), { sans: ["Pools.Example.com.", "[FD00::0:7]", "10.1.2.3", "*.svc.example"] });
    expect(await sanValues(readFileSync(r.artifact_paths.tls_cert, "utf8"))).toEqual(["dns:localhost", "ip:127.0.0.1", "ip:::1", "ip:10.1.2.3", "dns:pools.example.com", "ip:fd00::7", "dns:*.svc.example"]);
    const dir = freshDir();
    for (const bad of ["", "a b", "https://x.example", "x.example:9700", "-x.example", "*"]) {
      const err = await rejection(initIn(dir, { sans: [bad] }));
      expect(err.kind).toBe("Usage");
      expect(err.message).toContain("--san");
    }
    expect(existsSync(dir)).toBe(false);
  });

  test("an IPv6 bind is an iPAddress SAN and a bracketed URL host", async () => {
    const r = await serveInit({ outputDir: freshDir(), bind: "[fd00::5]:9700" });
    expect(await sanValues(readFileSync(r.artifact_paths.tls_cert, "utf8"))).toContain("ip:fd00::5");
    expect(r.next_commands[0]).toContain("--bind '[fd00::5]:9700'");
    expect(r.next_commands[2]).toContain("'https://[fd00::5]:9700/v0/pools/demo/tail?timeout_ms=5000'");
  });

  test("a DNS bind host is a dNSName SAN", async () => {
    const r = await serveInit({ outputDir: freshDir(), bind: "pools.example.internal:9700" });
    expect(await sanValues(readFileSync(r.artifact_paths.tls_cert, "utf8"))).toContain("dns:pools.example.internal");
  });

  test("next_commands: exactly three, with the absolute artifact paths", async () => {
    const dir = freshDir();
    const r = await initIn(dir, { programName: "plasmite" });
    const { token_file: tok, tls_cert: cert, tls_key: key } = r.artifact_paths;
    const auth = `-H "Authorization: Bearer $(cat ${tok})"`;
    expect(r.next_commands).toEqual([
      `plasmite serve --bind 10.1.2.3:9700 --allow-non-loopback --token-file ${tok} --tls-cert ${cert} --tls-key ${key}`,
      `curl --cacert ${cert} -sS -X POST ${auth} -H 'content-type: application/json' --data '{"data":{"hello":"world"}}' 'https://10.1.2.3:9700/v0/pools/demo/append'`,
      `curl --cacert ${cert} -N -sS ${auth} 'https://10.1.2.3:9700/v0/pools/demo/tail?timeout_ms=5000'`,
    ]);
    expect((await initIn(freshDir())).next_commands[0]).toStartWith("pls serve ");
  });

  test("paths needing quotes are single-quoted in next_commands", async () => {
    const dir = join(root, `it's here ${counter++}`);
    const r = await initIn(dir);
    expect(r.next_commands[0]).toContain(`--token-file '${dir.replace("'", `'\\''`)}/plasmite-auth-token.txt'`);
    expect(r.next_commands[1]).toContain(`$(cat '${dir.replace("'", `'\\''`)}/plasmite-auth-token.txt')`);
  });
});

describe("tls helpers", () => {
  test("certificateHosts: loopback always; a specific bind host, or for a wildcard the machine's names", () => {
    const base = ["localhost", "127.0.0.1", "::1"];
    const none: LocalNames = { hostname: "localhost", addresses: [] };
    for (const h of ["127.0.0.1", "::1", "[::1]", "LOCALHOST", "0.0.0.0", "::", "", "[::]"]) expect(certificateHosts(h, [], none)).toEqual(base);
    expect(certificateHosts("10.1.2.3", [], none)).toEqual([...base, "10.1.2.3"]);
    expect(certificateHosts("[fd00::5]", [], none)).toEqual([...base, "fd00::5"]);
    expect(certificateHosts("box.lan", [], none)).toEqual([...base, "box.lan"]);
    // a specific bind host does not add the machine's other names
    const local: LocalNames = { hostname: "web-1", addresses: [{ address: "10.0.0.8", family: "IPv4" }, { address: "FD00:0:0:0:0:0:0:8", family: "IPv6" }, { address: "fe80::8", family: "IPv6" }] };
    expect(certificateHosts("10.1.2.3", [], local)).toEqual([...base, "10.1.2.3"]);
    expect(certificateHosts("", [], local)).toEqual([...base, "web-1", "10.0.0.8", "fd00::8"]);
    expect(certificateHosts("0.0.0.0", ["web-1", "pools.example.com"], local)).toEqual([...base, "web-1", "10.0.0.8", "pools.example.com"]);
    // a host name that is not a DNS name (e.g. with an underscore) is left out rather than making a bad certificate
    expect(certificateHosts("::", [], { hostname: "my_box", addresses: [] })).toEqual(base);
    expect(checkSan("[::1]")).toBe("::1");
    expect(() => checkSan("a_b.example")).toThrow("invalid --san");
  });

  test("certificateSummary: the names and SHA-256 of the first certificate; a key is Usage naming the file", async () => {
    const { certPem, keyPem } = await generateSelfSigned(["localhost", "10.0.0.1", "fd00::1"]);
    const other = await generateSelfSigned(["localhost"]);
    const summary = await certificateSummary(certPem + other.certPem, "/x/cert.pem");
    expect(summary).toEqual({ names: ["localhost", "10.0.0.1", "fd00::1"], sha256: await certificateFingerprint(certPem) });
    // an independent implementation (node:crypto) agrees on the fingerprint
    const { X509Certificate } = await import("node:crypto");
    expect(summary.sha256).toBe(new X509Certificate(certPem).fingerprint256);
    const err = await rejection(certificateSummary(keyPem, "/x/key.pem"));
    expect([err.kind, err.path]).toEqual(["Usage", "/x/key.pem"]);
  });

  test("certificateFingerprint rejects a PEM that is not a certificate", async () => {
    const { keyPem } = await generateSelfSigned(["localhost"]);
    await expect(certificateFingerprint(keyPem)).rejects.toThrow();
  });
});

describe("TLS round trip with Bun.serve and fetch", () => {
  const fetchError = async (url: string, init?: BunFetchRequestInit): Promise<string> => {
    try {
      await fetch(url, init);
    } catch (err) {
      return `${(err as { code?: string }).code ?? ""} ${(err as Error).message}`;
    }
    throw new Error(`fetch ${url} unexpectedly succeeded`);
  };

  test("serves HTTPS trusted via tls.ca on 127.0.0.1 and localhost; untrusted without it", async () => {
    const r = await serveInit({ outputDir: freshDir(), bind: "127.0.0.1:9700" });
    const cert = readFileSync(r.artifact_paths.tls_cert, "utf8");
    const key = readFileSync(r.artifact_paths.tls_key, "utf8");
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", tls: { cert, key }, fetch: () => new Response("ok") });
    try {
      for (const host of ["127.0.0.1", "localhost"]) {
        const res = await fetch(`https://${host}:${server.port}/`, { tls: { ca: cert } });
        expect(res.status).toBe(200);
        expect(await res.text()).toBe("ok");
      }
      // Without the CA the self-signed certificate is unknown: a certificate error, not a connection error.
      expect(await fetchError(`https://127.0.0.1:${server.port}/`)).toMatch(/certificate|self.signed|UNABLE_TO_VERIFY/i);
      // Trusting a different self-signed certificate does not help: tls.ca really is verified.
      const other = await generateSelfSigned(certificateHosts("127.0.0.1"));
      expect(await fetchError(`https://127.0.0.1:${server.port}/`, { tls: { ca: other.certPem } })).toMatch(/certificate|UNABLE_TO_VERIFY/i);
    } finally {
      server.stop(true);
    }
  });

  test("a host missing from the SAN list is rejected even when the certificate is trusted", async () => {
    const { certPem, keyPem } = await generateSelfSigned(["localhost"]);
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", tls: { cert: certPem, key: keyPem }, fetch: () => new Response("ok") });
    try {
      expect((await fetch(`https://localhost:${server.port}/`, { tls: { ca: certPem } })).status).toBe(200);
      expect(await fetchError(`https://127.0.0.1:${server.port}/`, { tls: { ca: certPem } })).toMatch(/ALTNAME|host|name/i);
    } finally {
      server.stop(true);
    }
  });
});
