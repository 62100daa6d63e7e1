// Start-up budget of the compiled binary against a compiled Bun program that prints one line, both built in
// this run the same way (--compile --bytecode --minify); also the binary's size raw and compressed.
// Usage: bun scripts/bench-startup.ts [--quick]
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBinary } from "./build.ts";
import { printRows } from "./bench-lib.ts";

const RUNS = process.argv.includes("--quick") ? 15 : 40;
const dir = mkdtempSync(join(tmpdir(), "plasmite-startup-"));
const pls = join(dir, "pls");
buildBinary(pls);
const hello = join(dir, "hello.ts");
await Bun.write(hello, 'console.log("hello");\n');
const helloBin = join(dir, "hello");
const b = Bun.spawnSync([process.execPath, "build", "--compile", "--bytecode", "--minify", hello, "--outfile", helloBin]);
if (b.exitCode !== 0) throw new Error(b.stderr.toString());

const pools = join(dir, "pools");
Bun.spawnSync([pls, "--dir", pools, "poke", "p", "--create", "{}"]);

function median(cmd: string[]): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = Bun.spawnSync(cmd, { stdout: "ignore", stderr: "ignore" });
    times.push(performance.now() - t0);
    if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} exited ${r.exitCode}`);
  }
  return times.sort((x, y) => x - y)[Math.floor(times.length / 2)];
}

// interleave baseline and subject to share the machine's noise
const base = median([helloBin]);
const rows = [
  ["pls --version", [pls, "--version"]],
  ["pls poke POOL '{}'", [pls, "--dir", pools, "poke", "p", "{}"]],
  ["pls get POOL 1", [pls, "--dir", pools, "get", "p", "1"]],
] as const;
const results = rows.map(([name, cmd]) => ({ name, ms: median([...cmd]) }));
const base2 = median([helloBin]);
const baseline = (base + base2) / 2;

const size = Bun.file(pls).size;
const gz = Bun.spawnSync(["sh", "-c", `gzip -6 -c '${pls}' | wc -c`]).stdout.toString().trim();
const zst = Bun.spawnSync(["sh", "-c", `zstd -19 -q -c '${pls}' 2>/dev/null | wc -c`]).stdout.toString().trim();
printRows(`start-up, median of ${RUNS} runs (milliseconds); ratio = this / baseline`, [
  { name: "baseline: compiled Bun program printing one line", value: baseline, unit: "ms", ratio: 1 },
  ...results.map((r) => ({ name: r.name, value: r.ms, unit: "ms", ratio: r.ms / baseline, target: "<= 1.5x", ok: r.ms / baseline <= 1.5 })),
]);
console.log(`\nbinary size: ${(size / 1e6).toFixed(1)} MB raw, ${(Number(gz) / 1e6).toFixed(1)} MB gzip -6, ${Number(zst) > 0 ? (Number(zst) / 1e6).toFixed(1) + " MB zstd -19" : "zstd not installed"}`);
console.log(`baseline size: ${(Bun.file(helloBin).size / 1e6).toFixed(1)} MB raw (the Bun runtime itself)`);
