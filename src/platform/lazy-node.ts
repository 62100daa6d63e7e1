// node:fs and node:path, loaded on first use. Loading node:fs costs ~1 ms of start-up in Bun (more than the
// rest of `pls poke`) and node:path ~0.15 ms; the hot paths (open a pool, append, read) go through the
// native shim and plain strings instead. Creating, listing and deleting pools and reading token files load them.
export function fs(): typeof import("node:fs") {
  return require("node:fs");
}

export function path(): typeof import("node:path") {
  return require("node:path");
}
