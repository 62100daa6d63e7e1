#!/usr/bin/env node
// The `pls` / `plasmite` bin of the npm package. Under Bun it runs the CLI directly; under Node (a machine with
// only Node.js) it runs the CLI with the Bun binary installed by the `bun` dependency. Never does CLI work itself.
"use strict";
const path = require("node:path");
const main = path.join(__dirname, "main.ts");

if (process.versions.bun) {
  import(main);
} else {
  const { spawnSync } = require("node:child_process");
  let bun;
  try {
    bun = path.join(path.dirname(require.resolve("bun/package.json")), "bin", "bun.exe");
  } catch {
    console.error("plasmite: the `bun` package is missing; reinstall plasmite (npm install plasmite)");
    process.exit(1);
  }
  // Keep the program name the user typed (pls or plasmite) for help text.
  const name = path.basename(process.argv[1] || "pls").replace(/\.c?js$/, "");
  const r = spawnSync(bun, [main, ...process.argv.slice(2)], { stdio: "inherit", env: { ...process.env, PLASMITE_PROGRAM_NAME: name } });
  if (r.error) {
    console.error(`plasmite: cannot run ${bun}: ${r.error.message}`);
    process.exit(1);
  }
  if (r.signal) process.kill(process.pid, r.signal);
  process.exit(r.status ?? 1);
}
