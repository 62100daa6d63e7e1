// Builds the standalone `pls` executable (and `plasmite`, the same program) with `bun build --compile`.
// Usage: bun scripts/build.ts [--target bun-linux-x64|…] [--outdir dist]. Embeds the native shim, jq's wasm
// and the web UI. --bytecode is kept because it halves start-up (measured: --version 5.6 ms vs 11 ms), and
// --splitting (ESM) keeps the server, jq and certificate code out of what every command loads (7.4 → 4.2 ms).
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { hostTarget, targetOfBunTarget } from "../src/platform/target.ts";

export const ROOT = join(import.meta.dir, "..");
export const VERSION: string = (await Bun.file(join(ROOT, "package.json")).json()).version;

/** Compiles src/cli/main.ts into `outfile` for `target` (default: this machine). */
export function buildBinary(outfile: string, target?: string): void {
  const args = [process.execPath, "build", "--compile", "--bytecode", "--minify", "--splitting", "--format=esm",
    // a user's .env or bunfig.toml in the working directory must not change what pls does (and reading them
    // costs ~0.4 ms of every start)
    "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig", join(ROOT, "src", "cli", "main.ts"), "--outfile", outfile];
  if (target) args.push(`--target=${target}`);
  // each binary runs on one platform: tell it which, so it need not probe for glibc vs musl at start-up
  args.push(`--define=PLASMITE_BUILD_TARGET=${JSON.stringify(target ? targetOfBunTarget(target) : hostTarget())}`);
  const r = Bun.spawnSync(args, { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`bun build failed for ${target ?? "host"}:\n${r.stderr.toString()}${r.stdout.toString()}`);
}

if (import.meta.main) {
  const outdir = process.argv.includes("--outdir") ? process.argv[process.argv.indexOf("--outdir") + 1] : join(ROOT, "dist");
  const target = process.argv.includes("--target") ? process.argv[process.argv.indexOf("--target") + 1] : undefined;
  mkdirSync(outdir, { recursive: true });
  const pls = join(outdir, "pls");
  buildBinary(pls, target);
  copyFileSync(pls, join(outdir, "plasmite"));
  Bun.spawnSync(["chmod", "+x", join(outdir, "plasmite")]);
  console.log(`built ${pls} and ${join(outdir, "plasmite")} (${(Bun.file(pls).size / 1e6).toFixed(1)} MB, plasmite ${VERSION})`);
}
