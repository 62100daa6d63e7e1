// Start-up budget of the compiled binary against a compiled Bun program that prints one line (plain
// --compile --bytecode --minify), both built in this run; also the binary's size raw and compressed.
// Usage: bun scripts/bench-startup.ts [--quick] [--rounds N] [--compare OTHER_PLS]
// --compare runs another pls binary's commands in the same rounds (an A/B of two builds, both copied fresh).
//
// Method: ROUNDS rounds; each copies every binary to new files first, then runs every command interleaved with
// the baseline. Fresh copies because the page cache state of an executable moves its start-up by up to 20%:
// the same pls measured 1.57x from a file written 20 minutes earlier and 1.36x from a copy made a second before
// (a fresh write leaves large page-cache folios; a file re-read from disk starts slower too, baseline included).
// Copying everything each round puts every binary in the same state. The verdict uses the median of the rounds'
// ratios; the range is printed beside it.
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBinary } from "./build.ts";
import { interleavedMedians, printRows } from "./bench-lib.ts";

/** Start-up is good enough at this many times a compiled one-line program (clarity wins below it). */
const STARTUP_BUDGET_RATIO = 2;

const quick = process.argv.includes("--quick");
const roundsArg = process.argv.indexOf("--rounds");
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : quick ? 2 : 5;
const RUNS = quick ? 15 : 30;
const compareArg = process.argv.indexOf("--compare");
const other = compareArg > 0 ? process.argv[compareArg + 1] : undefined;
const dir = mkdtempSync(join(tmpdir(), "plasmite-startup-"));
// three binaries of ~110 MB, copied again every round: removed when the benchmark ends, even on an error
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
const built = { pls: join(dir, "pls"), hello: join(dir, "hello"), helloBare: join(dir, "hello-bare") };
buildBinary(built.pls);
const helloSource = join(dir, "hello.ts");
await Bun.write(helloSource, 'console.log("hello");\n');
const compile = (out: string, extra: string[]) => {
  const b = Bun.spawnSync([process.execPath, "build", "--compile", "--bytecode", "--minify", ...extra, helloSource, "--outfile", out]);
  if (b.exitCode !== 0) throw new Error(b.stderr.toString());
};
compile(built.hello, []);
// the same program built as pls is (no .env/bunfig autoloading), shown for comparison
compile(built.helloBare, ["--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig"]);

// each binary its own pool folder: a build from another commit may write another file format
const poolsOf = (pls: string) => {
  const pools = join(dir, pls === built.pls ? "pools" : "other-pools");
  Bun.spawnSync([pls, "--dir", pools, "poke", "p", "--create", "{}"]);
  return pools;
};
const pools = poolsOf(built.pls);
const otherPools = other ? poolsOf(other) : pools;

const names = ["pls --version", "pls poke POOL '{}'", "pls get POOL 1"] as const;
const argsOf = (pls: string, at = pools) => [[pls, "--version"], [pls, "--dir", at, "poke", "p", "{}"], [pls, "--dir", at, "get", "p", "1"]];

interface Round {
  baseline: number;
  bare: number;
  ms: number[];
  otherMs: number[];
}
const rounds: Round[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const roundDir = join(dir, `round-${r}`);
  mkdirSync(roundDir);
  const fresh = (src: string, name = src.slice(src.lastIndexOf("/") + 1)) => {
    const dst = join(roundDir, name);
    copyFileSync(src, dst);
    chmodSync(dst, 0o755);
    return dst;
  };
  const pls = fresh(built.pls);
  const hello = fresh(built.hello);
  const bare = fresh(built.helloBare);
  const otherCmds = other ? argsOf(fresh(other, "other-pls"), otherPools) : [];
  // every run of every command interleaved with the baseline's, so they share the machine's drifting load
  const [baseline, bareMs, ...all] = interleavedMedians([[hello], [bare], ...argsOf(pls), ...otherCmds], RUNS);
  const round = { baseline, bare: bareMs, ms: all.slice(0, names.length), otherMs: all.slice(names.length) };
  rounds.push(round);
  rmSync(roundDir, { recursive: true, force: true });
  const line = (v: number[]) => names.map((n, i) => `${n.split(" ")[1]} ${(v[i] / baseline).toFixed(2)}x`).join(", ");
  console.log(`round ${r + 1}/${ROUNDS}: baseline ${baseline.toFixed(2)} ms; ${line(round.ms)}${other ? `; compare: ${line(round.otherMs)}` : ""}`);
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const range = (v: number[]) => `${Math.min(...v).toFixed(2)}-${Math.max(...v).toFixed(2)}x over ${v.length} rounds`;
const baselineMs = median(rounds.map((r) => r.baseline));
const bareRatios = rounds.map((r) => r.bare / r.baseline);
printRows(`start-up, median of ${ROUNDS} rounds x ${RUNS} interleaved runs (milliseconds); ratio = this / baseline, per round`, [
  { name: "baseline: compiled Bun program printing one line", value: baselineMs, unit: "ms", ratio: 1 },
  { name: "(info) the same, built without .env/bunfig autoload", value: median(rounds.map((r) => r.bare)), unit: "ms", ratio: median(bareRatios) },
  ...commandRows("", (r) => r.ms),
  ...(other ? commandRows("(compare) ", (r) => r.otherMs) : []),
]);


/** One row per command: the median of the rounds' times and ratios, the verdict on the median ratio. */
function commandRows(label: string, times: (r: Round) => number[]) {
  return names.map((name, i) => {
    const ratios = rounds.map((r) => times(r)[i] / r.baseline);
    const ratio = median(ratios);
    return { name: label + name, value: median(rounds.map((r) => times(r)[i])), unit: "ms", ratio, target: `<= ${STARTUP_BUDGET_RATIO}x; ${range(ratios)}`, ok: ratio <= STARTUP_BUDGET_RATIO };
  });
}

const size = Bun.file(built.pls).size;
const gz = Bun.spawnSync(["sh", "-c", `gzip -6 -c '${built.pls}' | wc -c`]).stdout.toString().trim();
const zst = Bun.spawnSync(["sh", "-c", `zstd -19 -q -c '${built.pls}' 2>/dev/null | wc -c`]).stdout.toString().trim();
console.log(`\nbinary size: ${(size / 1e6).toFixed(1)} MB raw, ${(Number(gz) / 1e6).toFixed(1)} MB gzip -6, ${Number(zst) > 0 ? (Number(zst) / 1e6).toFixed(1) + " MB zstd -19" : "zstd not installed"}`);
console.log(`baseline size: ${(Bun.file(built.hello).size / 1e6).toFixed(1)} MB raw (the Bun runtime itself)`);
