// node:fs and node:path, loaded on first use: the one-shot path (open a pool, append, read) goes through the
// native binding and plain strings and never loads them; creating, listing and deleting pools and reading token
// files do. A static node:fs import on that path fails the start-up budget (src/cli/startup-budget.test.ts).
export function fs(): typeof import("node:fs") {
  return require("node:fs");
}

export function path(): typeof import("node:path") {
  return require("node:path");
}
