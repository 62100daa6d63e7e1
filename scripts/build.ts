// Builds the standalone `pls` executable (and `plasmite`, the same program) with `bun build --compile`.
// Usage: bun scripts/build.ts [--target bun-linux-x64|…] [--outdir dist]. Embeds the native shim, jq's wasm
// and the web UI. --bytecode is kept because it halves start-up (measured: --version 5.6 ms vs 11 ms), and
// --splitting (ESM) keeps the server, jq and certificate code out of what every command loads (7.4 → 4.2 ms).
// The bytecode is laid out by a profile of the one-shot commands, recorded by a first build (bytecodeOrder).
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostTarget, targetOfBunTarget } from "../src/platform/target.ts";

export const ROOT = join(import.meta.dir, "..");
export const VERSION: string = (await Bun.file(join(ROOT, "package.json")).json()).version;

/** Compiles src/cli/main.ts into `outfile` for `target` (default: this machine), bytecode laid out by `order`. */
export function compileOnce(outfile: string, target?: string, order: string[] = []): void {
  const args = [process.execPath, "build", "--compile", "--bytecode", "--minify", "--splitting", "--format=esm",
    // a user's .env or bunfig.toml in the working directory must not change what pls does (and reading them
    // costs ~0.4 ms of every start)
    "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig", join(ROOT, "src", "cli", "main.ts"), "--outfile", outfile];
  if (target) args.push(`--target=${target}`);
  if (order.length > 0) args.push(`--bytecode-order=${order.join(",")}`);
  // each binary runs on one platform: tell it which, so it need not probe for glibc vs musl at start-up
  args.push(`--define=PLASMITE_BUILD_TARGET=${JSON.stringify(target ? targetOfBunTarget(target) : hostTarget())}`);
  const r = Bun.spawnSync(args, { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`bun build failed for ${target ?? "host"}:\n${r.stderr.toString()}${r.stdout.toString()}`);
}

let recordedOrder: string[] | null = null;

/**
 * Profile-guided bytecode layout (bun build --bytecode-order): a host binary runs the one-shot commands with
 * BUN_BYTECODE_ORDER_OUT set, recording which functions they load; the real build then stores that bytecode
 * first and together. Recorded once per process (kept in memory) and reused for every target (the bytecode is
 * the same JS).
 */
export function bytecodeOrder(): string[] {
  if (recordedOrder) return recordedOrder;
  const dir = mkdtempSync(join(tmpdir(), "plasmite-order-"));
  try {
    const pls = join(dir, "pls");
    compileOnce(pls);
    const pools = join(dir, "pools");
    const run = (args: string[], out?: string) => {
      const r = Bun.spawnSync([pls, "--dir", pools, ...args], { env: { ...process.env, ...(out ? { BUN_BYTECODE_ORDER_OUT: out } : {}) }, stdout: "ignore", stderr: "pipe" });
      if (r.exitCode !== 0) throw new Error(`profiling run pls ${args.join(" ")} failed: ${r.stderr}`);
    };
    // the most common start first
    const profiles: Array<[string, string[]]> = [
      ["poke", ["poke", "p", "{}"]],
      ["get", ["get", "p", "1"]],
      ["peek", ["peek", "p", "--tail", "1", "--one"]],
      ["version", ["--version"]],
    ];
    run(["poke", "p", "--create", "{}"]);
    recordedOrder = profiles.map(([name, args]) => {
      const out = join(dir, `order-${name}.txt`);
      run(args, out);
      return readFileSync(out, "utf8");
    });
  } catch (err) {
    // a layout is an optimisation: build without one rather than not at all
    console.warn(`warning: no bytecode layout profile (${(err as Error).message.split("\n")[0]})`);
    recordedOrder = [];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return recordedOrder;
}

/** Builds the pls binary for `target` (default: this machine) with its bytecode laid out for fast starts. */
export function buildBinary(outfile: string, target?: string): void {
  const profiles = bytecodeOrder();
  const dir = mkdtempSync(join(tmpdir(), "plasmite-order-"));
  try {
    const files = profiles.map((text, i) => {
      const f = join(dir, `order-${i}.txt`);
      writeFileSync(f, text);
      return f;
    });
    compileOnce(outfile, target, files);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
