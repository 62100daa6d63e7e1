// Pools for CLI commands: the Client for --dir and opening a pool with the CLI's hints. Imported by the
// (lazily loaded) commands, not by main.ts, so `pls --version` does not load the pool engine.
import { PlasmiteError } from "../errors.ts";
import { Client, type PoolHandle } from "../api/client.ts";
import { globals } from "./context.ts";

export function client(): Client {
  return new Client(globals().dir);
}

/**
 * Opens a pool for a command, creating it when `create` is set (losing a creation race to another process is
 * fine); a missing pool says exactly how to create it.
 */
export function openPool(ref: string, create?: { sizeBytes?: number }): PoolHandle {
  const c = client();
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
