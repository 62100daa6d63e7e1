// `pls serve init`: writes a bearer token, a self-signed certificate and its key (all mode 0600) for `pls serve`.
// The token value must never leave this module except into its file: not in the result, errors or logs.
import { chmodSync, lstatSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { basename, dirname, join, resolve } from "node:path";
import { PlasmiteError } from "../errors.ts";
import { fsError } from "../platform/errno.ts";
import { certificateFingerprint, certificateHosts, checkSan, generateSelfSigned, type LocalNames } from "./tls.ts";

export interface InitOptions {
  /** Directory for the artifacts (created, mode 0700, if missing). */
  outputDir: string;
  /**
   * "host:port" (IPv6 as "[::1]:9700"): the address in next_commands, and the names in the certificate (see
   * certificateHosts: a wildcard host puts this machine's name and addresses there).
   */
  bind: string;
  /** More names for the certificate (--san): DNS names or IP addresses. */
  sans?: string[];
  /** This machine's name and addresses (default: os.hostname() and os.networkInterfaces()). */
  local?: LocalNames;
  /** Relative paths resolve against outputDir. */
  tokenFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  force?: boolean;
  /** "pls" (default) or "plasmite", as the user invoked it. */
  programName?: string;
}

export interface InitResult {
  artifact_paths: { token_file: string; tls_cert: string; tls_key: string };
  next_commands: string[];
  fingerprint: string;
  /** The names the certificate covers (its SAN list), in order. */
  names: string[];
}

const OWNER_ONLY = 0o600;

/** The files' names unless given: the Rust plasmite's (v0.6+), so its recipes and scripts find them. */
export const DEFAULT_ARTIFACT_NAMES = { tokenFile: "plasmite-auth-token.txt", tlsCert: "plasmite-tls-cert.pem", tlsKey: "plasmite-tls-key.pem" } as const;

/** Creates the three artifacts, refusing to touch any existing one unless `force` is set. */
export async function serveInit(options: InitOptions): Promise<InitResult> {
  const { host, port } = parseBind(options.bind);
  const sans = (options.sans ?? []).map(checkSan);
  const outputDir = resolve(options.outputDir);
  const paths = {
    token_file: resolve(outputDir, options.tokenFile ?? DEFAULT_ARTIFACT_NAMES.tokenFile),
    tls_cert: resolve(outputDir, options.tlsCert ?? DEFAULT_ARTIFACT_NAMES.tlsCert),
    tls_key: resolve(outputDir, options.tlsKey ?? DEFAULT_ARTIFACT_NAMES.tlsKey),
  };
  const all = [paths.token_file, paths.tls_cert, paths.tls_key];
  if (new Set(all).size !== all.length) {
    throw new PlasmiteError("Usage", "token file, TLS certificate and TLS key must be three different paths", {
      hint: "Pass distinct --token-file, --tls-cert and --tls-key values.",
    });
  }
  // Check all three before writing any, so a refusal leaves the directory exactly as it was.
  if (!options.force) {
    for (const path of all) {
      if (exists(path)) {
        throw new PlasmiteError("AlreadyExists", `serve init artifact already exists: ${path}`, {
          path,
          hint: "Use --force to overwrite, or --output-dir for another directory.",
        });
      }
    }
  }

  const names = certificateHosts(host, sans, options.local);
  const { certPem, keyPem } = await generateSelfSigned(names);
  writeAllOwnerOnly([
    [paths.token_file, `${randomHex(32)}\n`],
    [paths.tls_cert, certPem],
    [paths.tls_key, keyPem],
  ]);

  return {
    artifact_paths: paths,
    next_commands: nextCommands(options.programName ?? "pls", options.bind, host, port, paths),
    fingerprint: await certificateFingerprint(certPem),
    names,
  };
}

/** Splits "host:port" / "[v6]:port"; the host may be empty or a wildcard (listen everywhere). */
function parseBind(bind: string): { host: string; port: number } {
  const m = /^\[([^\]]*)\]:(\d+)$/.exec(bind) ?? /^([^:\[\]]*):(\d+)$/.exec(bind);
  const port = m ? Number(m[2]) : NaN;
  const host = m ? m[1]! : "";
  const bracketed = bind.startsWith("[");
  const hostOk = bracketed ? isIP(host) === 6 : host === "" || isIP(host) === 4 || /^[A-Za-z0-9.-]+$/.test(host);
  if (!m || !hostOk || !(port >= 1 && port <= 65535)) {
    throw new PlasmiteError("Usage", `invalid --bind ${JSON.stringify(bind)}: expected host:port`, {
      hint: "Examples: 127.0.0.1:9700, 0.0.0.0:9700, [::1]:9700.",
    });
  }
  return { host, port };
}

function nextCommands(prog: string, bind: string, host: string, port: number, paths: InitResult["artifact_paths"]): string[] {
  // A wildcard bind is reachable on loopback, and loopback is in every certificate's SAN list.
  const urlHost = host === "" || host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  const base = `https://${isIP(urlHost) === 6 ? `[${urlHost}]` : urlHost}:${port}`;
  const token = shellQuote(paths.token_file);
  const cert = shellQuote(paths.tls_cert);
  // $(cat ...) keeps the token itself out of the printed commands and out of shell history.
  const auth = `-H "Authorization: Bearer $(cat ${token})"`;
  return [
    `${prog} serve --bind ${shellQuote(bind)} --allow-non-loopback --token-file ${token} --tls-cert ${cert} --tls-key ${shellQuote(paths.tls_key)}`,
    `curl --cacert ${cert} -sS -X POST ${auth} -H 'content-type: application/json' --data '{"data":{"hello":"world"}}' '${base}/v0/pools/demo/append'`,
    `curl --cacert ${cert} -N -sS ${auth} '${base}/v0/pools/demo/tail?timeout_ms=5000'`,
  ];
}

/** Leaves plain words bare (the common case stays readable) and single-quotes anything else. */
function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** lstat, not exists: a dangling symlink is still something --force would replace. */
function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw fsError(err, path, "stat");
  }
}

/**
 * Writes every file to a temp name beside its target, then renames them into place: a failure while writing
 * (disk full, permissions) leaves no half-written artifact, no stray temp file and no target touched.
 */
function writeAllOwnerOnly(files: [path: string, data: string][]): void {
  const staged: [tmp: string, path: string][] = [];
  try {
    for (const [path, data] of files) {
      const dir = dirname(path);
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
      } catch (err) {
        throw fsError(err, dir, "create directory");
      }
      const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomHex(4)}.tmp`);
      try {
        staged.push([tmp, path]);
        // "wx": never follow or reuse something already at the temp name.
        writeFileSync(tmp, data, { mode: OWNER_ONLY, flag: "wx" });
        // The umask may have removed bits from the requested mode; the rename below carries this inode's mode.
        chmodSync(tmp, OWNER_ONLY);
      } catch (err) {
        throw fsError(err, path, "write");
      }
    }
    // Each rename is atomic; a failure part-way leaves earlier artifacts replaced and later temps removed.
    while (staged.length > 0) {
      const [tmp, path] = staged[0]!;
      try {
        renameSync(tmp, path);
      } catch (err) {
        throw fsError(err, path, "rename");
      }
      staged.shift();
    }
  } finally {
    for (const [tmp] of staged) {
      try {
        rmSync(tmp, { force: true });
      } catch {
        // best effort: the original error (e.g. a read-only file system) is the one to report
      }
    }
  }
}
