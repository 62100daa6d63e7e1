// Pool-file fuzzer: mutates valid pool files and checks that open, cursors, follow, get and doctor either report
// Corrupt (or Usage for a changed format version) with path and offset, or return exactly the bytes written.
//
//   bun scripts/fuzz-pool.ts [--cases N] [--seed S] [--quick]     campaign (default 100,000 cases; --quick 3,000)
//   bun scripts/fuzz-pool.ts --seed S --case K [--dump FILE]       replay one case verbosely (and save its file)
//
// A supervisor runs the cases in one worker child (this script with --worker) so that a crash (signal, abort)
// or a true hang (no progress for STALL_MS) is reported with its case number; the campaign then resumes at the
// next case in a fresh worker. Each case is determined by (seed, case number). Failing case files are copied
// to --fail-dir (default $TMPDIR/plasmite-fuzz-failures). Exit status 1 when any case failed.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { buildBases, casePath, makeCase, runCase, type Failure, type FuzzContext } from "./fuzz-lib.ts";

/** A worker that prints nothing for this long is hung (base building included). */
const STALL_MS = 20_000;
/** Detailed reports printed per failure class; the rest are counted. */
const DETAILS_PER_CLASS = 3;

interface Options {
  cases: number;
  seed: number;
  worker: boolean;
  from: number;
  dir: string | null;
  failDir: string;
  replay: number | null;
  dump: string | null;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { cases: 100_000, seed: (Date.now() ^ (process.pid << 16)) >>> 0, worker: false, from: 0, dir: null, failDir: join(tmpdir(), "plasmite-fuzz-failures"), replay: null, dump: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    const num = () => {
      const n = Number(value());
      if (!Number.isSafeInteger(n) || n < 0) usage(`${a} needs a non-negative integer`);
      return n;
    };
    if (a === "--cases") o.cases = num();
    else if (a === "--quick") o.cases = 3000;
    else if (a === "--seed") o.seed = num() >>> 0;
    else if (a === "--worker") o.worker = true;
    else if (a === "--from") o.from = num();
    else if (a === "--dir") o.dir = value();
    else if (a === "--fail-dir") o.failDir = value();
    else if (a === "--case") o.replay = num();
    else if (a === "--dump") o.dump = value();
    else usage(`unknown argument ${a}`);
  }
  return o;
}

function usage(message: string): never {
  console.error(`fuzz-pool: ${message}\nusage: bun scripts/fuzz-pool.ts [--cases N] [--seed S] [--quick] | --seed S --case K [--dump FILE]`);
  process.exit(2);
}

/** Scratch space for case files: tmpfs when there is one. */
function scratchDir(): string {
  return mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "plasmite-fuzz-"));
}

function context(seed: number, dir: string): FuzzContext {
  return { seed, bases: buildBases(dir, seed), casePaths: [0, 1, 2, 3].map((i) => join(dir, `case${i}.plasmite`)) };
}

/** Worker: runs cases from..cases-1, one protocol line each (synchronous writes survive a crash). */
function worker(o: Options): void {
  const dir = o.dir ?? scratchDir();
  const ctx = context(o.seed, dir);
  const emit = (line: string) => writeSync(1, line + "\n");
  emit("R");
  for (let c = o.from; c < o.cases; c++) {
    const r = runCase(ctx, c);
    for (const f of r.failures) {
      saveCaseFile(o.failDir, o.seed, c, casePath(ctx, c));
      emit(`F ${JSON.stringify(f)}`);
    }
    emit(`C ${c} ${r.outcome} ${r.doctorOnly ? 1 : 0} ${r.drops} ${r.undamaged ? 1 : 0} ${r.verified}`);
  }
}

function saveCaseFile(failDir: string, seed: number, caseNo: number, from: string): string {
  mkdirSync(failDir, { recursive: true });
  const to = join(failDir, `seed-${seed}-case-${caseNo}.plasmite`);
  try {
    copyFileSync(from, to);
  } catch {
    // the worker may have died before writing it
  }
  return to;
}

/** Replays one case in this process, printing every check's outcome. */
function replay(o: Options, caseNo: number): void {
  const dir = scratchDir();
  try {
    const ctx = { ...context(o.seed, dir), verbose: true };
    if (o.dump) {
      writeFileSync(o.dump, makeCase(ctx, caseNo).bytes);
      console.error(`wrote ${o.dump}`);
    }
    const r = runCase(ctx, caseNo);
    for (const f of r.failures) printFailure(f, true);
    console.log(`case ${caseNo}: ${r.outcome}, ${r.failures.length} failure(s)`);
    process.exitCode = r.failures.length > 0 ? 1 : 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function printFailure(f: Failure, withStack: boolean): void {
  console.log(`FAILURE ${f.kind} seed ${f.seed} case ${f.caseNo} base ${f.base} check ${f.check}`);
  console.log(`  mutations: ${f.mutations.join("; ")}`);
  console.log(`  ${f.detail}`);
  if (withStack && f.stack) console.log(f.stack.split("\n").map((l) => `    ${l}`).join("\n"));
  console.log(`  replay: bun scripts/fuzz-pool.ts --seed ${f.seed} --case ${f.caseNo}`);
}

/** Failures with the same kind, check and message shape are one class (numbers and quoted values masked). */
function classOf(f: Failure): string {
  const check = f.check.replace(/\(.*\)|\{.*\}/g, "");
  return `${f.kind} ${check}: ${f.detail.split("\n")[0].replace(/-?\d+/g, "N").slice(0, 120)}`;
}

let describer: FuzzContext | null = null;

/** Base and mutations of a case, recomputed here after its worker died (bases built once, on demand). */
function describeCase(seed: number, caseNo: number): { base: string; mutations: string[] } {
  try {
    describer ??= context(seed, scratchDir());
    const made = makeCase(describer, caseNo);
    return { base: made.base.name, mutations: made.mutations };
  } catch (err) {
    return { base: "?", mutations: [`(could not rebuild the case: ${(err as Error).message})`] };
  }
}

/** Runs the campaign in worker children, restarting after a crash or hang. */
async function supervise(o: Options): Promise<void> {
  const dir = scratchDir();
  const t0 = performance.now();
  const classes = new Map<string, number>();
  let failures = 0;
  let corrupt = 0;
  let read = 0;
  let doctorOnly = 0;
  let drops = 0;
  let undamaged = 0;
  let verified = 0;
  let next = 0; // first case not yet completed
  const record = (f: Failure) => {
    failures++;
    const key = classOf(f);
    const seen = classes.get(key) ?? 0;
    classes.set(key, seen + 1);
    if (seen < DETAILS_PER_CLASS) printFailure(f, true);
    else if (seen === DETAILS_PER_CLASS) console.log(`(further failures of class "${key}" are only counted)`);
  };
  console.log(`fuzz: seed ${o.seed}, ${o.cases} cases, scratch ${dir}`);
  try {
    while (next < o.cases) {
      const stopped = await runWorker(o, dir, next, (line) => {
        if (line.startsWith("C ")) {
          const [, c, outcome, dOnly, d, u, v] = line.split(" ");
          next = Number(c) + 1;
          if (outcome === "corrupt") corrupt++;
          else if (outcome === "read") read++;
          doctorOnly += Number(dOnly);
          drops += Number(d);
          undamaged += Number(u);
          verified += Number(v);
          if (next % 10_000 === 0) console.log(`... ${next} cases, ${failures} failures, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
        } else if (line.startsWith("F ")) {
          record(JSON.parse(line.slice(2)) as Failure);
        }
      });
      if (stopped === null) break;
      if (!stopped.ready) {
        console.log(`fuzz: the worker failed before running any case (${stopped.how}):\n${stopped.stderr}`);
        process.exitCode = 2;
        return;
      }
      // The worker died or stalled inside case `next`: report it and go on after it.
      const saved = saveCaseFile(o.failDir, o.seed, next, join(dir, `case${next % 4}.plasmite`));
      const made = describeCase(o.seed, next);
      record({
        seed: o.seed,
        caseNo: next,
        base: made.base,
        mutations: [...made.mutations, `(case file saved to ${saved})`],
        kind: stopped.hung ? "HANG" : "CRASH",
        check: stopped.hung ? "worker (no progress)" : "worker (process died)",
        detail: stopped.hung ? `no progress for ${STALL_MS} ms; worker killed` : `worker exited with ${stopped.how}; stderr: ${stopped.stderr.slice(-2000)}`,
      });
      next++;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (describer) rmSync(dirname(describer.casePaths[0]), { recursive: true, force: true });
  }
  const secs = (performance.now() - t0) / 1000;
  if (classes.size > 0) {
    console.log("failure classes:");
    for (const [key, n] of classes) console.log(`  ${n} x ${key}`);
  }
  console.log(`undamaged where reads look (full read required): ${undamaged}; messages verified byte-identical: ${verified}`);
  console.log(`doctor-only corrupt (reads intact): ${doctorOnly}; drops reported: ${drops}`);
  console.log(`fuzz: ${o.cases} cases, ${failures} failures, ${corrupt} corrupt, ${read} opened-and-read, ${secs.toFixed(1)} s, ${Math.round(o.cases / secs)} cases/s`);
  process.exitCode = failures > 0 ? 1 : 0;
}

/**
 * Runs one worker from case `from`, feeding its protocol lines to `onLine`. Resolves null when it finished
 * every case, or how it stopped early.
 */
async function runWorker(o: Options, dir: string, from: number, onLine: (line: string) => void): Promise<{ hung: boolean; ready: boolean; how: string; stderr: string } | null> {
  const args = [process.execPath, import.meta.path, "--worker", "--seed", String(o.seed), "--cases", String(o.cases), "--from", String(from), "--dir", dir, "--fail-dir", o.failDir];
  const child = Bun.spawn(args, { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  let stderr = "";
  const errDone = (async () => {
    for await (const chunk of child.stderr) stderr = (stderr + new TextDecoder().decode(chunk)).slice(-8000);
  })();
  let hung = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      hung = true;
      child.kill("SIGKILL");
    }, STALL_MS);
  };
  arm();
  let finished = false;
  let ready = false;
  let pending = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    arm();
    pending += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line === "R") ready = true;
      else onLine(line);
      if (line === `C ${o.cases - 1}` || line.startsWith(`C ${o.cases - 1} `)) finished = true;
    }
  }
  const code = await child.exited;
  clearTimeout(timer);
  await errDone;
  if (finished && code === 0) return null;
  return { hung, ready, how: child.signalCode ? `signal ${child.signalCode}` : `code ${code}`, stderr };
}

const options = parseOptions(Bun.argv.slice(2));
if (options.worker) worker(options);
else if (options.replay !== null) replay(options, options.replay);
else await supervise(options);
