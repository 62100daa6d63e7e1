// `pls serve [init|check]`: run the HTTP server (protocol v0 + web UI), write a token and certificate, or check
// a configuration without binding. The server code (Elysia) is loaded only by `serve` itself.
import { readFileSync, writeFileSync, renameSync } from "node:fs";
import { PlasmiteError } from "../../errors.ts";
import type { ServeOptions } from "../../serve/options.ts";
import { collectRepeated, defineCommand } from "../args.ts";
import { globals } from "../context.ts";
import { lockTimeoutFrom } from "../pools.ts";
import { colorOn, printErrLine, printJson, printLine, stderrIsTTY, stdoutIsTTY } from "../output.ts";
import { parseCount } from "../values.ts";

const serverFlags = {
  bind: { type: "string", description: "IP:PORT to listen on (default 127.0.0.1:9700)" },
  token: { type: "string", description: "Bearer token (development only; prefer --token-file)" },
  "token-file": { type: "string", description: "File holding the bearer token (from `pls serve init`)" },
  "allow-non-loopback": { type: "boolean", description: "Allow binding a non-loopback address" },
  "insecure-no-tls": { type: "boolean", description: "Allow non-loopback writes without TLS (trusted networks only)" },
  "tls-cert": { type: "string", description: "TLS certificate (PEM)" },
  "tls-key": { type: "string", description: "TLS private key (PEM)" },
  "tls-self-signed": { type: "boolean", description: "Serve TLS with a fresh in-memory self-signed certificate" },
  access: { type: "string", description: "read-only, write-only or read-write (default)" },
  "max-body-bytes": { type: "string", description: "Largest request body (default 1048576)" },
  "max-tail-timeout-ms": { type: "string", description: "Longest tail stream and default timeout_ms (default 30000)" },
  "max-tail-concurrency": { type: "string", description: "Most concurrent tail streams (default 64)" },
  "idle-timeout-s": { type: "string", description: "Close a connection idle this many seconds, 1-255 (default 10; tail streams stay open)" },
  "cors-origin": { type: "string", description: "Allow browser requests from this exact origin (repeatable)" },
  "lock-timeout": { type: "string", description: "MS an append waits for another writer's lock before 423 (default 5000; env PLASMITE_LOCK_TIMEOUT_MS)" },
  "allow-host": { type: "string", description: "Also answer requests for this host name (repeatable; without a token only loopback names and the bound address are answered)" },
} as const;

type FlagArgs = Record<string, unknown>;

/** ServeOptions from flags (reads token and certificate files; generates a self-signed certificate if asked). */
async function optionsFrom(args: FlagArgs, rawArgs: string[]): Promise<ServeOptions> {
  const o = await import("../../serve/options.ts");
  if (args.token !== undefined && args["token-file"] !== undefined) throw new PlasmiteError("Usage", "use --token or --token-file, not both");
  let token: string | undefined;
  let tokenSource: ServeOptions["tokenSource"];
  if (args["token-file"] !== undefined) {
    const path = String(args["token-file"]);
    try {
      token = readFileSync(path, "utf8").trim();
    } catch (err) {
      throw new PlasmiteError("Usage", `failed to read token file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { path });
    }
    if (!token) throw new PlasmiteError("Usage", `token file is empty: ${path}`, { path, hint: "Create one with `pls serve init`." });
    tokenSource = "--token-file";
  } else if (args.token !== undefined) {
    token = String(args.token);
    if (!token) throw new PlasmiteError("Usage", "--token is empty");
    tokenSource = "--token";
  }
  const bind = args.bind === undefined ? o.DEFAULT_BIND : String(args.bind);
  const { host } = o.parseBind(bind);
  const cert = args["tls-cert"] === undefined ? undefined : String(args["tls-cert"]);
  const key = args["tls-key"] === undefined ? undefined : String(args["tls-key"]);
  if ((cert === undefined) !== (key === undefined)) throw new PlasmiteError("Usage", "--tls-cert and --tls-key go together");
  if (args["tls-self-signed"] && cert !== undefined) throw new PlasmiteError("Usage", "--tls-self-signed cannot be combined with --tls-cert/--tls-key");
  let tls: ServeOptions["tls"];
  if (cert !== undefined && key !== undefined) {
    const read = (p: string) => {
      try {
        return readFileSync(p, "utf8");
      } catch (err) {
        throw new PlasmiteError("Usage", `failed to read ${p}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { path: p });
      }
    };
    tls = { cert: read(cert), key: read(key), source: "files" };
  } else if (args["tls-self-signed"]) {
    const { generateSelfSigned, certificateHosts } = await import("../../serve/tls.ts");
    const pair = await generateSelfSigned(certificateHosts(host));
    tls = { cert: pair.certPem, key: pair.keyPem, source: "self-signed" };
  }
  if (tls) Object.assign(tls, await (await import("../../serve/tls.ts")).certificateSummary(tls.cert, cert));
  const access = args.access === undefined ? "read-write" : String(args.access);
  if (access !== "read-only" && access !== "write-only" && access !== "read-write") throw new PlasmiteError("Usage", `invalid --access '${access}'`, { hint: "Use read-only, write-only or read-write." });
  const num = (name: string, fallback: number) => (args[name] === undefined ? fallback : parseCount(String(args[name]), `--${name}`));
  const options: ServeOptions = {
    dir: globals().dir,
    bind,
    token,
    tokenSource,
    allowNonLoopback: Boolean(args["allow-non-loopback"]),
    insecureNoTls: Boolean(args["insecure-no-tls"]),
    tls,
    access,
    maxBodyBytes: num("max-body-bytes", o.DEFAULT_MAX_BODY_BYTES),
    maxTailTimeoutMs: num("max-tail-timeout-ms", o.DEFAULT_MAX_TAIL_TIMEOUT_MS),
    maxTailConcurrency: num("max-tail-concurrency", o.DEFAULT_MAX_TAIL_CONCURRENCY),
    idleTimeoutS: num("idle-timeout-s", o.DEFAULT_IDLE_TIMEOUT_S),
    corsOrigins: [...new Set(collectRepeated(rawArgs, "cors-origin"))],
    lockTimeoutMs: lockTimeoutFrom(args["lock-timeout"]),
    allowHosts: [...new Set(collectRepeated(rawArgs, "allow-host").map(o.checkAllowHost))],
  };
  o.preflight(options);
  return options;
}

const check = defineCommand({
  meta: { name: "check", description: "Validate a serve configuration and print it, without binding (JSON when piped).\n\nExamples:\n  pls serve check --bind 0.0.0.0:9700 --allow-non-loopback --access read-only\n  pls serve check --json" },
  args: { ...serverFlags, json: { type: "boolean", description: "Print JSON even on a terminal" } },
  async run({ args, rawArgs }) {
    const options = await optionsFrom(args, rawArgs);
    const { describe } = await import("../../serve/options.ts");
    const d = describe(options);
    if (args.json || !stdoutIsTTY()) return printJson({ check: d });
    printLine(
      [
        "pls serve check",
        `status: ${d.status}`,
        `listen: ${d.listen}`,
        `base_url: ${d.base_url}`,
        `web_ui: ${d.web_ui}`,
        `mcp: ${d.mcp}`,
        `auth: ${d.auth}`,
        `tls: ${d.tls}`,
        ...(d.certificate ? [`certificate: ${d.certificate.names.join(", ")}`, `sha256: ${d.certificate.sha256}`] : []),
        `access: ${d.access}`,
        `limits: body=${d.limits.max_body_bytes}B tail_timeout=${d.limits.max_tail_timeout_ms}ms tail_concurrency=${d.limits.max_tail_concurrency}`,
      ].join("\n"),
    );
  },
});

const init = defineCommand({
  meta: {
    name: "init",
    description: "Write a random bearer token and a self-signed TLS certificate + key (owner-only files) for serving beyond loopback.\nThe token is never printed. The certificate covers localhost, 127.0.0.1, ::1 and the --bind host; for\n0.0.0.0 or :: this machine's host name and addresses instead; --san adds a name.\n\nExamples:\n  pls serve init --output-dir ~/.plasmite/serve --bind 0.0.0.0:9700\n  pls serve init --bind 0.0.0.0:9700 --san pools.example.com --force",
  },
  args: {
    "output-dir": { type: "string", description: "Directory for the files (default .)" },
    bind: { type: "string", description: "Address the server will use (goes into the certificate and the next commands; default 0.0.0.0:9700)" },
    "token-file": { type: "string", description: "Token file name (default plasmite-auth-token.txt)" },
    "tls-cert": { type: "string", description: "Certificate file name (default plasmite-tls-cert.pem)" },
    "tls-key": { type: "string", description: "Key file name (default plasmite-tls-key.pem)" },
    san: { type: "string", description: "Another name clients will use: DNS name or IP address (repeatable)" },
    force: { type: "boolean", description: "Overwrite existing files" },
    json: { type: "boolean", description: "Print JSON even on a terminal" },
  },
  async run({ args, rawArgs }) {
    const { serveInit } = await import("../../serve/init.ts");
    const result = await serveInit({
      outputDir: args["output-dir"] === undefined ? "." : String(args["output-dir"]),
      bind: args.bind === undefined ? "0.0.0.0:9700" : String(args.bind),
      tokenFile: args["token-file"] === undefined ? undefined : String(args["token-file"]),
      tlsCert: args["tls-cert"] === undefined ? undefined : String(args["tls-cert"]),
      tlsKey: args["tls-key"] === undefined ? undefined : String(args["tls-key"]),
      sans: collectRepeated(rawArgs, "san"),
      force: Boolean(args.force),
      programName: programName(),
    });
    if (args.json || !stdoutIsTTY()) return printJson({ init: { artifact_paths: result.artifact_paths, next_commands: result.next_commands, fingerprint: result.fingerprint, names: result.names } });
    printLine(
      [
        "serve init: generated artifacts",
        `  token_file: ${result.artifact_paths.token_file}`,
        `  tls_cert:   ${result.artifact_paths.tls_cert}`,
        `  tls_key:    ${result.artifact_paths.tls_key}`,
        `  sha256:     ${result.fingerprint}`,
        `  names:      ${result.names.join(", ")}`,
        "next commands:",
        ...result.next_commands.map((c, i) => `  ${i + 1}. ${c}`),
        "notes: the files are readable by you only; the token is not shown (read it from the token file).",
      ].join("\n"),
    );
  },
});

function programName(): string {
  return (process.argv[1] ?? "").endsWith("plasmite") ? "plasmite" : "pls";
}

export default defineCommand({
  meta: {
    name: "serve",
    description: [
      "Serve pools over HTTP (protocol v0, JSON + JSON Lines + SSE) and the web UI at /ui.",
      "Binds 127.0.0.1:9700 by default; beyond loopback it needs --allow-non-loopback, and writes need a token",
      "file and TLS (see `pls serve init`).",
      "",
      "Examples:",
      "  pls serve",
      "  pls serve --bind 0.0.0.0:9700 --allow-non-loopback --access read-only",
      "  pls serve init --output-dir ~/.plasmite/serve",
      "  pls serve --bind 0.0.0.0:9700 --allow-non-loopback --token-file plasmite-auth-token.txt --tls-cert plasmite-tls-cert.pem --tls-key plasmite-tls-key.pem",
      "  pls serve check --bind 0.0.0.0:9700 --allow-non-loopback",
    ].join("\n"),
  },
  args: serverFlags,
  subCommands: { init, check },
  async run({ args, rawArgs }) {
    const stray = (args._ as string[]).filter((a) => a !== "");
    if (stray.length > 0) {
      throw new PlasmiteError("Usage", `unexpected argument '${stray[0]}' for \`serve\``, { hint: "The subcommands are `pls serve check` and `pls serve init`; see `pls serve --help`." });
    }
    const options = await optionsFrom(args, rawArgs);
    const { startServer } = await import("../../serve/app.ts");
    const { describe } = await import("../../serve/options.ts");
    const server = await startServer(options);
    const d = describe(options, server.port);
    d.listen = d.listen.replace(/:0$/, `:${server.port}`); // --bind HOST:0 picked a free port: show which
    const ready = process.env.PLASMITE_SERVE_READY_FILE;
    if (ready) {
      // the bound IP:PORT (as the Rust server writes it, for its test harnesses), written atomically so a
      // supervisor polling for it never reads half an address
      const { host } = (await import("../../serve/options.ts")).parseBind(options.bind);
      writeFileSync(ready + ".tmp", `${host.includes(":") ? `[${host}]` : host}:${server.port}`);
      renameSync(ready + ".tmp", ready);
    }
    // one line saying where it listens, also for a supervisor or a log (JSON when stderr is not a terminal)
    if (stderrIsTTY()) printErrLine(banner(d, options, colorOn("stderr")));
    else printErrLine(JSON.stringify({ event: "listening", time: new Date().toISOString(), url: d.base_url, ui: d.web_ui, mcp: d.mcp, listen: d.listen, auth: d.auth, tls: d.tls, ...(d.certificate ? { certificate: d.certificate } : {}), access: d.access }));
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      await server.stop();
      process.exit(0);
    };
    process.on("SIGINT", () => void stop());
    process.on("SIGTERM", () => void stop());
    await new Promise(() => {}); // serve until a signal
  },
});

function banner(d: ReturnType<typeof import("../../serve/options.ts").describe>, o: ServeOptions, color: boolean): string {
  const bold = (s: string) => (color ? `\x1b[1m${s}\x1b[22m` : s);
  const k = o.tls ? "-k " : "";
  const auth = o.token ? `-H 'Authorization: Bearer <token>' ` : "";
  return [
    bold("pls serve"),
    `  listen:   ${d.listen}`,
    `  base_url: ${d.base_url}`,
    `  web_ui:   ${d.web_ui}`,
    `  mcp:      ${d.mcp} (agents; or \`pls mcp\` on stdio)`,
    `  auth:     ${d.auth}${o.token ? " (value not shown)" : ""}`,
    `  tls:      ${d.tls}`,
    ...(d.certificate ? [`  cert:     ${d.certificate.names.join(", ")}`, `  sha256:   ${d.certificate.sha256}`] : []),
    `  access:   ${d.access}`,
    "  stop:     press Ctrl-C",
    "try:",
    `  curl ${k}-sS -X POST ${auth}-H 'content-type: application/json' --data '{"data":{"hello":"world"}}' '${d.base_url}/v0/pools/demo/append'`,
    `  curl ${k}-N -sS ${auth}'${d.base_url}/v0/pools/demo/tail?from=live&timeout_ms=30000'`,
    "  (create the pool first: pls pool create demo)",
  ].join("\n");
}
