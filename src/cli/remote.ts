// Remote pool refs in the CLI (`http(s)://host:port/pool`): the shared flags and the client they configure.
import { fs } from "../platform/lazy-node.ts";
import { PlasmiteError } from "../errors.ts";
import type { RemoteClient, RemotePoolHandle } from "../remote/client.ts";

export const remoteFlags = {
  token: { type: "string", description: "Bearer token for a remote pool (prefer --token-file)" },
  "token-file": { type: "string", description: "File holding the bearer token for a remote pool" },
  "tls-ca": { type: "string", description: "CA or server certificate (PEM) to trust for https:// pools" },
  "tls-skip-verify": { type: "boolean", description: "Do not verify the server's certificate (testing only)" },
} as const;

export function isRemote(ref: string): boolean {
  return ref.includes("://") && /^[a-z][a-z0-9+.-]*:\/\//i.test(ref);
}

function readFlagFile(path: string, what: string): string {
  try {
    return fs().readFileSync(path, "utf8");
  } catch (err) {
    throw new PlasmiteError("Usage", `failed to read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { path });
  }
}

/** The remote pool a URL ref names, configured from the remote flags (loads the HTTP client lazily). */
export async function remotePool(ref: string, args: Record<string, unknown>): Promise<RemotePoolHandle> {
  const { client, pool } = await remoteClient(ref, args);
  return client.openPool(pool);
}

/** The server a URL ref names (configured from the remote flags) and the pool name within it. */
export async function remoteClient(ref: string, args: Record<string, unknown>): Promise<{ client: RemoteClient; pool: string }> {
  const { RemoteClient, parseRemoteRef } = await import("../remote/client.ts");
  const { base, pool } = parseRemoteRef(ref);
  if (args.token !== undefined && args["token-file"] !== undefined) throw new PlasmiteError("Usage", "use --token or --token-file, not both");
  const token = args["token-file"] !== undefined ? readFlagFile(String(args["token-file"]), "token file").trim() : args.token === undefined ? undefined : String(args.token);
  const tlsCa = args["tls-ca"] === undefined ? undefined : readFlagFile(String(args["tls-ca"]), "CA file");
  return { client: new RemoteClient(base, { token, tlsCa, tlsSkipVerify: Boolean(args["tls-skip-verify"]) }), pool };
}

/**
 * Throws Usage when a remote-only flag (--token, --token-file, --tls-ca, --tls-skip-verify) is given for a local
 * pool: ignoring it would hide a mistyped URL (the Rust CLI refuses them too).
 */
export function rejectRemoteFlags(args: Record<string, unknown>, ref: string): void {
  for (const f in remoteFlags) {
    if (args[f] === undefined || args[f] === false) continue;
    throw new PlasmiteError("Usage", `--${f} applies to remote pools only, and '${ref}' is a local pool`, { hint: "Name a remote pool as http(s)://HOST:PORT/POOL, or drop the flag." });
  }
}

/** Throws Usage when a local-only flag is used with a remote pool. */
export function rejectForRemote(args: Record<string, unknown>, flags: string[]): void {
  for (const f of flags) {
    if (args[f] !== undefined && args[f] !== false) throw new PlasmiteError("Usage", `--${f} is not supported for remote pools`);
  }
}
