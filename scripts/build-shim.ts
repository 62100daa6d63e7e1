// Builds native/shim.c for the host into native/prebuilt/<platform>/libplasmite.so, plus the same bytes
// gzipped as base64 text (libplasmite.so.gz.b64, ~3.5 KB), which src/platform imports as a string: reading an
// embedded file would need node:fs, whose first load costs ~1 ms of every command's start-up, and a string
// the size of the raw library costs ~0.25 ms to load.
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
const args = [cc, "-O2", "-fPIC", "-shared", "-Wall", "-Wextra", "-Werror", "-s", "-Wl,-z,noseparate-code", "-Wl,--build-id=none", "-o", out, join(root, "native", "shim.c")];
const proc = Bun.spawnSync(args, { stdout: "inherit", stderr: "inherit" });
if (proc.exitCode !== 0) {
  console.error(`build-shim: ${args.join(" ")} failed with exit ${proc.exitCode}`);
  process.exit(1);
}
await Bun.write(out + ".gz.b64", Bun.gzipSync(await Bun.file(out).bytes(), { level: 9 }).toBase64() + "\n");
console.log(`built ${out} (${Bun.file(out).size} bytes) for ${target}`);
