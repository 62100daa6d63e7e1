// Cross-builds `pls` for every supported platform into dist/release/ as plasmite_<version>_<os>_<arch>.tar.gz
// (pls, plasmite, README.md, LICENSE) plus SHA256SUMS. Usage: bun scripts/release.ts [--only linux_x64,...]
// Bun downloads each target's runtime from the npm registry on first use (cached in ~/.bun/install/cache).
import { copyFileSync, linkSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ROOT, VERSION, buildBinary } from "./build.ts";

/** Release platforms: archive suffix → bun --compile target. */
export const TARGETS: Record<string, string> = {
  linux_x64: "bun-linux-x64",
  "linux-musl_x64": "bun-linux-x64-musl",
  linux_arm64: "bun-linux-arm64",
  darwin_x64: "bun-darwin-x64",
  darwin_arm64: "bun-darwin-arm64",
};

export function archiveName(platform: string): string {
  return `plasmite_${VERSION}_${platform}.tar.gz`;
}

async function sha256(path: string): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  hasher.update(await Bun.file(path).arrayBuffer());
  return hasher.digest("hex");
}

if (import.meta.main) {
  const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1].split(",") : Object.keys(TARGETS);
  const outdir = join(ROOT, "dist", "release");
  mkdirSync(outdir, { recursive: true });
  const sums: string[] = [];
  for (const platform of only) {
    const target = TARGETS[platform];
    if (!target) throw new Error(`unknown platform ${platform} (known: ${Object.keys(TARGETS).join(", ")})`);
    const stage = join(outdir, `stage-${platform}`);
    rmSync(stage, { recursive: true, force: true });
    mkdirSync(stage, { recursive: true });
    const t0 = performance.now();
    buildBinary(join(stage, "pls"), target);
    // a hard link: tar stores it once, and both names run the same program
    linkSync(join(stage, "pls"), join(stage, "plasmite"));
    copyFileSync(join(ROOT, "README.md"), join(stage, "README.md"));
    copyFileSync(join(ROOT, "LICENSE"), join(stage, "LICENSE"));
    const archive = join(outdir, archiveName(platform));
    const tar = Bun.spawnSync(["tar", "-czf", archive, "-C", stage, "pls", "plasmite", "README.md", "LICENSE"]);
    if (tar.exitCode !== 0) throw new Error(tar.stderr.toString());
    rmSync(stage, { recursive: true, force: true });
    sums.push(`${await sha256(archive)}  ${archiveName(platform)}`);
    console.log(`${archiveName(platform)}  ${(Bun.file(archive).size / 1e6).toFixed(1)} MB  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  // keep the entries of archives not rebuilt this time (--only), replacing those that were
  const sumsFile = Bun.file(join(outdir, "SHA256SUMS"));
  const rebuilt = new Set(sums.map((l) => l.split("  ")[1]));
  const kept = (await sumsFile.exists()) ? (await sumsFile.text()).split("\n").filter((l) => l.trim() && !rebuilt.has(l.split("  ")[1])) : [];
  await Bun.write(join(outdir, "SHA256SUMS"), [...kept, ...sums].sort((a, b) => a.split("  ")[1].localeCompare(b.split("  ")[1])).join("\n") + "\n");
  console.log(`wrote ${join(outdir, "SHA256SUMS")}`);
}
