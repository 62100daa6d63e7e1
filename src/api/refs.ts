// How a pool reference names a file: a ref with "/" is a path, a ref ending ".plasmite" is DIR/ref,
// anything else is DIR/NAME.plasmite. Pure.
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { PlasmiteError } from "../errors.ts";

export const POOL_EXTENSION = ".plasmite";

/** ~/.plasmite/pools (from $HOME; an empty HOME gives a relative .plasmite/pools, as the Rust CLI does). */
export function defaultPoolDir(): string {
  const home = process.env.HOME ?? homedir();
  return join(home, ".plasmite", "pools");
}

/** Absolute path of the pool file a ref names. */
export function resolvePoolRef(dir: string, ref: string): string {
  if (ref.length === 0) throw new PlasmiteError("Usage", "pool name is empty", { hint: "Name a pool, e.g. `chat`." });
  if (ref.includes("\0")) throw new PlasmiteError("Usage", "pool name contains a NUL byte");
  if (ref.includes("/")) return resolve(ref);
  if (ref.endsWith(POOL_EXTENSION)) return resolve(dir, ref);
  return resolve(dir, ref + POOL_EXTENSION);
}

/** Display name of a pool file: its base name without the extension. */
export function poolNameOf(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  return base.endsWith(POOL_EXTENSION) ? base.slice(0, -POOL_EXTENSION.length) : base;
}
