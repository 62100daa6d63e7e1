// Runs the language-neutral conformance manifests (shared/conformance/*.json) against the library and the CLI:
//   bun scripts/conformance.ts [--target library|cli|all] [--manifests DIR]   (exit 1 on a failure, 2 on bad usage)
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { REPO_ROOT, runManifest, type Manifest, type TargetName } from "./conformance-lib.ts";

/**
 * The reference manifests live in the shared tree beside the repo when it is there (the freshest copy);
 * spec/conformance/v0 holds a copy so a clone anywhere still runs them.
 */
const SHARED_MANIFESTS = resolve(REPO_ROOT, "../shared/conformance");
const DEFAULT_MANIFESTS = existsSync(SHARED_MANIFESTS) ? SHARED_MANIFESTS : resolve(REPO_ROOT, "spec/conformance/v0");

function usage(message: string): never {
  console.error(`conformance: ${message}\nusage: bun scripts/conformance.ts [--target library|cli|all] [--manifests DIR]`);
  process.exit(2);
}

function parseArgs(argv: string[]): { targets: TargetName[]; dir: string } {
  let target = "all";
  let dir = DEFAULT_MANIFESTS;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i] ?? usage(`${flag} needs a value`);
    if (flag === "--target") target = value();
    else if (flag === "--manifests") dir = resolve(value());
    else usage(`unknown argument '${argv[i]}'`);
  }
  if (target !== "library" && target !== "cli" && target !== "all") usage(`invalid --target '${target}'`);
  return { targets: target === "all" ? ["library", "cli"] : [target], dir };
}

const { targets, dir } = parseArgs(process.argv.slice(2));
if (!existsSync(dir)) {
  console.error(`conformance: no manifests directory at ${dir} (clone the repo next to shared/, or pass --manifests DIR)`);
  process.exit(2);
}
const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
if (files.length === 0) usage(`no *.json manifests in ${dir}`);

let passed = 0;
let failed = 0;
for (const file of files) {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, file), "utf8")) as Manifest;
  } catch (err) {
    for (const target of targets) console.log(`FAIL ${target} ${file}: unreadable manifest: ${(err as Error).message}`);
    failed += targets.length;
    continue;
  }
  const name = manifest.name ?? file;
  for (const target of targets) {
    const result = await runManifest(manifest, target);
    for (const note of result.notes) console.log(`NOTE ${target} ${name} ${note}`);
    if (result.failure === undefined) {
      passed++;
      console.log(`PASS ${target} ${name} (${result.steps} step${result.steps === 1 ? "" : "s"})`);
    } else {
      failed++;
      console.log(`FAIL ${target} ${name} ${result.failure}`);
      if (result.workdir) console.log(`  workdir kept: ${result.workdir}`);
    }
  }
}
console.log(`conformance: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
