// Start-up budget of the compiled binary against a compiled Bun program that prints one line (plain
// --compile --bytecode --minify), both built in this run; also the binary's size raw and compressed.
// Usage: bun scripts/bench-startup.ts [--quick]
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBinary } from "./build.ts";
import { interleavedMedians, printRows } from "./bench-lib.ts";

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

// the same program built as pls is (no .env/bunfig autoloading), shown for comparison
const helloBare = join(dir, "hello-bare");
const b2 = Bun.spawnSync([process.execPath, "build", "--compile", "--bytecode", "--minify", "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig", hello, "--outfile", helloBare]);
if (b2.exitCode !== 0) throw new Error(b2.stderr.toString());

const rows = [
  ["pls --version", [pls, "--version"]],
  ["pls poke POOL '{}'", [pls, "--dir", pools, "poke", "p", "{}"]],
  ["pls get POOL 1", [pls, "--dir", pools, "get", "p", "1"]],
] as const;
// every run of every command interleaved with the baseline's, so they share the machine's drifting load
const [baseline, bareBaseline, ...ms] = interleavedMedians([[helloBin], [helloBare], ...rows.map(([, cmd]) => [...cmd])], RUNS);
const results = rows.map(([name], i) => ({ name, ms: ms[i] }));

const size = Bun.file(pls).size;
const gz = Bun.spawnSync(["sh", "-c", `gzip -6 -c '${pls}' | wc -c`]).stdout.toString().trim();
const zst = Bun.spawnSync(["sh", "-c", `zstd -19 -q -c '${pls}' 2>/dev/null | wc -c`]).stdout.toString().trim();
printRows(`start-up, median of ${RUNS} runs (milliseconds); ratio = this / baseline`, [
  { name: "baseline: compiled Bun program printing one line", value: baseline, unit: "ms", ratio: 1 },
  { name: "(info) the same, built without .env/bunfig autoload", value: bareBaseline, unit: "ms", ratio: bareBaseline / baseline },
  ...results.map((r) => ({ name: r.name, value: r.ms, unit: "ms", ratio: r.ms / baseline, target: "<= 1.5x", ok: r.ms / baseline <= 1.5 })),
]);
console.log(`\nbinary size: ${(size / 1e6).toFixed(1)} MB raw, ${(Number(gz) / 1e6).toFixed(1)} MB gzip -6, ${Number(zst) > 0 ? (Number(zst) / 1e6).toFixed(1) + " MB zstd -19" : "zstd not installed"}`);
console.log(`baseline size: ${(Bun.file(helloBin).size / 1e6).toFixed(1)} MB raw (the Bun runtime itself)`);
