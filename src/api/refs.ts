// How a pool reference names a file: a ref with "/" is a path, a ref ending ".plasmite" is DIR/ref,
// anything else is DIR/NAME.plasmite. Pure.
import { PlasmiteError } from "../errors.ts";

export const POOL_EXTENSION = ".plasmite";

/** ~/.plasmite/pools (from $HOME; an empty HOME gives a relative .plasmite/pools, as the Rust CLI does). */
export function defaultPoolDir(): string {
  const home = process.env.HOME ?? (require("node:os") as typeof import("node:os")).homedir();
  if (home === "") return ".plasmite/pools";
  if (isNormalAbsolute(home)) return `${home}/.plasmite/pools`;
  return (require("node:path") as typeof import("node:path")).join(home, ".plasmite", "pools");
}

/** A path resolving would not change: absolute, no empty, "." or ".." segments, no trailing slash. */
function isNormalAbsolute(p: string): boolean {
  // string searches, not a regular expression: the first one a process runs costs ~0.05 ms
  return p.length > 1 && p.startsWith("/") && !p.endsWith("/") && !p.endsWith("/.") && !p.endsWith("/..") &&
    !p.includes("//") && !p.includes("/./") && !p.includes("/../");
}

/**
 * path.resolve(dir, name), without loading node:path (0.15–0.7 ms of a command's start-up) in the usual cases
 * of a plain name in a normal directory, absolute or relative to the working directory (`--dir pools`).
 */
export function resolveIn(dir: string, name: string): string {
  if (!name.includes("/") && name !== "." && name !== "..") {
    if (isNormalAbsolute(dir)) return `${dir}/${name}`;
    if (dir.length > 0 && !dir.startsWith("/")) {
      const abs = `${process.cwd()}/${dir}`;
      if (isNormalAbsolute(abs)) return `${abs}/${name}`;
    }
  }
  return (require("node:path") as typeof import("node:path")).resolve(dir, name);
}

/** Absolute path of the pool file a ref names. */
export function resolvePoolRef(dir: string, ref: string): string {
  if (ref.length === 0) throw new PlasmiteError("Usage", "pool name is empty", { hint: "Name a pool, e.g. `chat`." });
  if (ref.includes("\0")) throw new PlasmiteError("Usage", "pool name contains a NUL byte");
  if (ref.includes("/")) return resolveIn(process.cwd(), ref);
  if (ref.endsWith(POOL_EXTENSION)) return resolveIn(dir, ref);
  return resolveIn(dir, ref + POOL_EXTENSION);
}

/** Display name of a pool file: its base name without the extension. */
export function poolNameOf(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  return base.endsWith(POOL_EXTENSION) ? base.slice(0, -POOL_EXTENSION.length) : base;
}
