// Pools for CLI commands: the Client for --dir and opening a pool with the CLI's hints. Imported by the
// (lazily loaded) commands, not by main.ts, so `pls --version` does not load the pool engine.
import { PlasmiteError } from "../errors.ts";
import { Client, type PoolHandle } from "../api/client.ts";
import { globals } from "./context.ts";

export function client(lockTimeoutMs?: number): Client {
  return new Client(globals().dir, { lockTimeoutMs });
}

/**
 * How long a writing command waits for another writer's lock: `--lock-timeout MS`, else
 * $PLASMITE_LOCK_TIMEOUT_MS, else the library's default (undefined).
 */
export function lockTimeoutFrom(flag: unknown): number | undefined {
  const fromEnv = process.env.PLASMITE_LOCK_TIMEOUT_MS;
  if (flag === undefined && !fromEnv) return undefined;
  const name = flag === undefined ? "PLASMITE_LOCK_TIMEOUT_MS" : "--lock-timeout";
  // loaded only when a value is given (a plain poke has none)
  const { parseCount } = require("./values.ts") as typeof import("./values.ts");
  const { checkLockTimeout } = require("../api/checks.ts") as typeof import("../api/checks.ts");
  return checkLockTimeout(parseCount(String(flag ?? fromEnv), name), name);
}

/**
 * Opens a pool for a command, creating it when `create` is set (losing a creation race to another process is
 * fine); a missing pool says exactly how to create it. Its appends wait `lockTimeoutMs` for the writer lock.
 */
export function openPool(ref: string, create?: { sizeBytes?: number }, lockTimeoutMs?: number): PoolHandle {
  const c = client(lockTimeoutMs);
  try {
    return c.openPool(ref);
  } catch (err) {
    if (create && err instanceof PlasmiteError && err.kind === "NotFound") {
      try {
        return c.createPool(ref, create);
      } catch (e) {
        if (e instanceof PlasmiteError && e.kind === "AlreadyExists") return c.openPool(ref);
        throw e;
      }
    }
    if (err instanceof PlasmiteError && err.kind === "NotFound" && err.hint === undefined) {
      const hint = ref.includes("/")
        ? "Check the path, or create the pool: pls pool create PATH."
        : `Create it first: pls pool create ${ref} (or pass --create, or --dir for another pool directory).`;
      throw new PlasmiteError("NotFound", err.message, { path: err.path, hint });
    }
    throw err;
  }
}
