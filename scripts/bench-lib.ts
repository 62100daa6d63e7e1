// Shared bits of the benchmark scripts: building the C baseline, timing loops, printing ratio rows.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const benchDir = mkdtempSync(join(process.env.PLASMITE_BENCH_DIR ?? tmpdir(), "plasmite-bench-"));
// pools, inputs and binaries of a run take hundreds of MB: gone when the benchmark ends, even on an error
process.on("exit", () => rmSync(benchDir, { recursive: true, force: true }));

/** Compiles scripts/bench-baseline.c for this run; returns a function giving its ns/message. */
export function buildBaseline(): (messages: number, payloadBytes: number, batch: number) => number {
  const exe = join(benchDir, "bench-baseline");
  const cc = Bun.spawnSync([process.env.CC ?? "cc", "-O2", "-o", exe, join(import.meta.dir, "bench-baseline.c")], { stderr: "inherit" });
  if (cc.exitCode !== 0) throw new Error("could not build the C baseline (needs cc)");
  return (messages, payloadBytes, batch) => {
    const out = Bun.spawnSync([exe, join(benchDir, "baseline.bin"), String(messages), String(payloadBytes), String(batch)]);
    if (out.exitCode !== 0) throw new Error(out.stderr.toString());
    return Number(out.stdout.toString().trim());
  };
}

/** Best (lowest) ns per op over `rounds` runs of `fn(ops)`. */
export function bestNsPerOp(ops: number, rounds: number, fn: (ops: number) => void): number {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = Bun.nanoseconds();
    fn(ops);
    best = Math.min(best, (Bun.nanoseconds() - t0) / ops);
  }
  return best;
}

/**
 * Median wall time (ms) of each command, runs interleaved (a, b, c, a, b, c, …) so a baseline and the commands
 * compared with it share the machine's drifting load: these VMs change speed by 20% within a minute.
 */
export function interleavedMedians(commands: string[][], runs: number): number[] {
  const times = commands.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) {
    commands.forEach((cmd, j) => {
      const t0 = performance.now();
      const r = Bun.spawnSync(cmd, { stdout: "ignore", stderr: "pipe" });
      times[j].push(performance.now() - t0);
      if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} exited ${r.exitCode}: ${r.stderr}`);
    });
  }
  return times.map((t) => t.sort((x, y) => x - y)[Math.floor(t.length / 2)]);
}

export interface Row {
  name: string;
  value: number;
  unit: string;
  ratio?: number;
  target?: string;
  ok?: boolean;
}

export function printRows(title: string, rows: Row[]): void {
  console.log(`\n${title}`);
  for (const r of rows) {
    const v = r.unit === "msg/s" || r.unit === "ops/s" ? Math.round(r.value).toLocaleString("en-US") : r.value.toFixed(1);
    const ratio = r.ratio === undefined ? "" : `  ${r.ratio.toFixed(2)}x baseline`;
    const target = r.target ? `  (target ${r.target}: ${r.ok ? "met" : "NOT met"})` : "";
    console.log(`  ${r.name.padEnd(44)} ${v.padStart(12)} ${r.unit}${ratio}${target}`);
  }
}
