// Builds native/shim.c for the host into native/prebuilt/<platform>/, where src/platform embeds it from.
// Run by hand (npm run build:shim) after changing the C file; the result is committed so users need no compiler.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { hostTarget } from "../src/platform/target.ts";

const root = join(import.meta.dir, "..");
const target = hostTarget();
const outDir = join(root, "native", "prebuilt", target);
mkdirSync(outDir, { recursive: true });
const out = join(outDir, "libplasmite.so");
const cc = process.env.CC ?? "cc";
const args = [cc, "-O2", "-fPIC", "-shared", "-Wall", "-Wextra", "-Werror", "-s", "-o", out, join(root, "native", "shim.c")];
const proc = Bun.spawnSync(args, { stdout: "inherit", stderr: "inherit" });
if (proc.exitCode !== 0) {
  console.error(`build-shim: ${args.join(" ")} failed with exit ${proc.exitCode}`);
  process.exit(1);
}
console.log(`built ${out} (${Bun.file(out).size} bytes) for ${target}`);
