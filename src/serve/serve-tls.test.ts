// `pls serve` with TLS, as a process: it shows the names and SHA-256 of the certificate it serves (banner on a
// terminal, the JSON "listening" line otherwise, `serve check`), and --tls-self-signed covers serve init's names.
import { afterAll, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { BUN, MAIN, pls, startServe, tempRoot } from "../cli/test-harness.ts";

const root = tempRoot("serve-tls-test");
const procs: Array<ReturnType<typeof Bun.spawn>> = [];
afterAll(() => {
  for (const p of procs) p.kill("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});

describe("pls serve shows the certificate it serves", () => {
  test("names and SHA-256 in the banner and in serve check, equal to the PEM's fingerprint", async () => {
    const init = pls(["serve", "init", "--output-dir", join(root, "init-banner"), "--bind", "127.0.0.1:9700", "--san", "pools.example.com"]);
    const { tls_cert, tls_key } = JSON.parse(init.out).init.artifact_paths;
    const sha = new X509Certificate(readFileSync(tls_cert, "utf8")).fingerprint256;
    expect(JSON.parse(init.out).init.fingerprint).toBe(sha);
    const dir = join(root, "banner");
    const check = pls(["--dir", dir, "serve", "check", "--tls-cert", tls_cert, "--tls-key", tls_key, "--json"]);
    expect(JSON.parse(check.out).check.certificate).toEqual({ names: ["localhost", "127.0.0.1", "::1", "pools.example.com"], sha256: sha });
    const quoted = [BUN, MAIN, "--dir", dir, "serve", "--bind", "127.0.0.1:0", "--tls-cert", tls_cert, "--tls-key", tls_key].map((a) => `'${a}'`).join(" ");
    const r = Bun.spawnSync(["timeout", "-s", "INT", "3", "script", "-qefc", quoted, "/dev/null"], { env: { ...process.env, NO_COLOR: "1", TERM: "xterm" } });
    const shown = r.stdout.toString();
    expect(shown).toContain("cert:     localhost, 127.0.0.1, ::1, pools.example.com");
    expect(shown).toContain(`sha256:   ${sha}`);
    // not on a terminal: the "listening" line carries the same
    const server = await startServe(dir, ["--tls-cert", tls_cert, "--tls-key", tls_key]);
    procs.push(server.proc);
    const reader = server.proc.stderr.getReader();
    let text = "";
    while (!text.includes("\n")) {
      const r = await reader.read();
      if (r.done) break;
      text += new TextDecoder().decode(r.value);
    }
    expect(JSON.parse(text.split("\n")[0]!)).toMatchObject({ event: "listening", tls: "enabled", certificate: { names: ["localhost", "127.0.0.1", "::1", "pools.example.com"], sha256: sha } });
  }, 30_000);

  test("--tls-self-signed covers the same names as serve init", async () => {
    const check = pls(["--dir", join(root, "self"), "serve", "check", "--tls-self-signed", "--json"]);
    expect(JSON.parse(check.out).check.certificate.names).toEqual(["localhost", "127.0.0.1", "::1"]);
    const wildcard = pls(["--dir", join(root, "self"), "serve", "check", "--bind", "0.0.0.0:9700", "--allow-non-loopback", "--access", "read-only", "--tls-self-signed", "--json"]);
    const init = pls(["serve", "init", "--output-dir", join(root, "init-self"), "--bind", "0.0.0.0:9700"]);
    expect(JSON.parse(wildcard.out).check.certificate.names).toEqual(JSON.parse(init.out).init.names);
  }, 30_000);
});
