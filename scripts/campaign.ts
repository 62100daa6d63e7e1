// The fault campaign: SIGKILLed writers, readers and servers; concurrent writers with followers; a table of bad
// CLI and HTTP input; sustained server load; pools truncated under running processes; permissions and a full
// disk; SIGSTOPped writers holding the lock; --where expressions jq cannot finish and messages it cannot read.
// Prints what it measured and exits 1 on any failure.
// Usage: bun scripts/campaign.ts [--quick] [--only crash,stopped,concurrency,badinput,load,truncate,limits,where]
// (--quick is what CI runs; the default is the long version.) The corrupt-file fuzzer is scripts/fuzz-pool.ts.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statfsSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cursor } from "../src/pool/cursor.ts";
import { doctorPool } from "../src/pool/doctor.ts";
import { Pool } from "../src/pool/pool.ts";
import { nativeBackend } from "../src/platform/files.ts";
import { decodePayload, encodePayload } from "../src/format/payload.ts";

const quick = process.argv.includes("--quick");
const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1].split(",") : null;
const ROOT = join(import.meta.dir, "..");
const MAIN = join(ROOT, "src", "cli", "main.ts");
const PROCS = join(ROOT, "src", "pool", "procs");
const work = mkdtempSync(join(tmpdir(), "plasmite-campaign-"));
const failures: string[] = [];
const figures: string[] = [];

function check(ok: boolean, what: string): void {
  if (!ok) failures.push(what);
}

/**
 * How long any wait for a condition may take: generous, since a loaded 2-core machine runs this beside other
 * work; a hang is forever. Checks wait for conditions, not fixed sleeps, and a failure says how long it waited.
 */
const WAIT_LIMIT_MS = 60_000;

/** Polls `condition` every 10 ms until it holds (returns the ms it took) or WAIT_LIMIT_MS passes (null). */
async function waitFor(condition: () => boolean | Promise<boolean>): Promise<number | null> {
  const t0 = performance.now();
  for (;;) {
    if (await condition()) return Math.round(performance.now() - t0);
    if (performance.now() - t0 > WAIT_LIMIT_MS) return null;
    await Bun.sleep(10);
  }
}

/** A child's output as it arrives, so a wait can watch it grow. */
function collect(stream: ReadableStream<Uint8Array>): { text: string; done: Promise<void> } {
  const out = { text: "", done: Promise.resolve() };
  out.done = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) out.text += decoder.decode(chunk, { stream: true });
  })();
  return out;
}

function pls(args: string[], opts: { stdin?: string | Uint8Array; env?: Record<string, string> } = {}) {
  const r = Bun.spawnSync([process.execPath, MAIN, ...args], {
    stdin: opts.stdin === undefined ? "ignore" : typeof opts.stdin === "string" ? new TextEncoder().encode(opts.stdin) : opts.stdin,
    env: { ...process.env, NO_COLOR: "1", ...opts.env },
  });
  return { code: r.exitCode ?? 128, out: r.stdout.toString(), err: r.stderr.toString() };
}

const sha = (path: string) => (existsSync(path) ? createHash("sha256").update(readFileSync(path)).digest("hex") : "missing");

async function startServe(dir: string, extra: string[] = []) {
  const ready = join(work, `ready-${Math.random().toString(36).slice(2)}`);
  const proc = Bun.spawn([process.execPath, MAIN, "--dir", dir, "serve", "--bind", "127.0.0.1:0", ...extra], { env: { ...process.env, PLASMITE_SERVE_READY_FILE: ready }, stdout: "ignore", stderr: "pipe" });
  const t0 = performance.now();
  while (!existsSync(ready)) {
    if (proc.exitCode !== null) throw new Error(`serve failed: ${await new Response(proc.stderr).text()}`);
    if (performance.now() - t0 > WAIT_LIMIT_MS) {
      proc.kill("SIGKILL");
      throw new Error(`serve was not ready after ${Math.round(performance.now() - t0)} ms`);
    }
    await Bun.sleep(20);
  }
  return { proc, url: `http://${readFileSync(ready, "utf8").trim()}` }; // the file holds the bound IP:PORT
}

/** doctor ok, and a cursor from the oldest returns complete messages with contiguous seqs. */
function verifyPool(path: string, label: string): number {
  const report = doctorPool(path);
  check(report.status === "ok", `${label}: doctor ${report.status} ${JSON.stringify(report.issues)}`);
  const pool = Pool.open(path);
  const s = pool.state();
  const c = new Cursor(pool, { oldest: true });
  let expected = s.oldestSeq;
  for (let it = c.next(); it && it.message && it.message.seq <= s.newestSeq; it = c.next()) {
    check(it.message.seq === expected++, `${label}: seq ${it.message.seq} out of order`);
    try {
      decodePayload(it.message.payload);
    } catch {
      check(false, `${label}: seq ${it.message.seq} is not a complete message`);
    }
  }
  pool.close();
  return s.newestSeq;
}

/** The writer lock is free: an append not allowed to wait for it at all (lock timeout 0) goes through. */
function lockIsFree(path: string, label: string): void {
  const pool = Pool.open(path);
  pool.lockTimeoutMs = 0;
  try {
    pool.appendPayload(encodePayload({ probe: true }, ["campaign"]));
  } catch (err) {
    check(false, `${label}: the next writer could not take the lock at once: ${(err as Error).message}`);
  } finally {
    pool.close();
  }
}

async function crashCampaign(): Promise<void> {
  const kills = quick ? 40 : 200;
  const path = join(work, "crash.plasmite");
  Pool.create(path, { sizeBytes: 65536 }).close();
  const t0 = performance.now();
  for (let k = 0; k < kills; k++) {
    const w = Bun.spawn([process.execPath, join(PROCS, "writer.ts"), path, String(k), "1000000", "mixed"], { env: { ...process.env, SEED: String(k + 1) }, stderr: "pipe" });
    await Bun.sleep(50 + Math.random() * 100);
    w.kill("SIGKILL");
    await w.exited;
    verifyPool(path, `crash kill ${k + 1}`);
    lockIsFree(path, `crash kill ${k + 1}`);
  }
  const newest = verifyPool(path, "crash final");
  figures.push(`crash: ${kills} writer SIGKILLs mid-append (single/batch, fast/flush, wrapping a 64 KiB ring): doctor ok after each, ${newest} seqs contiguous, lock free (${((performance.now() - t0) / 1000).toFixed(1)} s)`);

  // readers and the server killed mid-stream leave nothing locked
  const dir = join(work, "crash-serve");
  mkdirSync(dir);
  const rpath = join(dir, "r.plasmite");
  Pool.create(rpath).close();
  for (let k = 0; k < (quick ? 3 : 10); k++) {
    const f = Bun.spawn([process.execPath, join(PROCS, "follower.ts"), rpath, "100000000", "60000"], { stdout: "ignore" });
    const w = Bun.spawn([process.execPath, join(PROCS, "writer.ts"), rpath, String(k), "3000"], { stderr: "ignore" });
    await Bun.sleep(80);
    f.kill("SIGKILL");
    await w.exited;
    lockIsFree(rpath, `reader kill ${k + 1}`);
    const { proc, url } = await startServe(dir);
    const tail = fetch(`${url}/v0/pools/r/tail?from=live&timeout_ms=30000`).catch(() => null);
    const appends = Array.from({ length: 50 }, (_, i) => fetch(`${url}/v0/pools/r/append`, { method: "POST", body: JSON.stringify({ data: { i } }) }).catch(() => null));
    await Bun.sleep(20);
    proc.kill("SIGKILL");
    await proc.exited;
    await Promise.all([tail, ...appends]);
    verifyPool(rpath, `server kill ${k + 1}`);
    lockIsFree(rpath, `server kill ${k + 1}`);
  }
  figures.push(`crash: followers and servers SIGKILLed mid-stream (${quick ? 3 : 10} each): the pool stays valid and the next writer proceeds at once`);

  // creates SIGKILLed while allocating leave hidden temps: doctor --all reports them once stale, the next create removes them
  const cdir = join(work, "crash-create");
  mkdirSync(cdir);
  const createKills = quick ? 3 : 20;
  for (let k = 0; k < createKills; k++) {
    const c = Bun.spawn([process.execPath, MAIN, "--dir", cdir, "pool", "create", `c${k}`, "--size", "256M"], { stdout: "ignore", stderr: "ignore" });
    const deadline = performance.now() + 10_000;
    while (!readdirSync(cdir).some((n) => n.startsWith(`.c${k}.`)) && performance.now() < deadline) {
      // spin: the temp lives only while the blocks are allocated
    }
    c.kill("SIGKILL");
    await c.exited;
  }
  const leftovers = readdirSync(cdir).filter((n) => n.startsWith("."));
  const longAgo = (Date.now() - 10 * 60_000) / 1000; // what waiting past the stale age would do
  for (const n of leftovers) utimesSync(join(cdir, n), longAgo, longAgo);
  const reported = (JSON.parse(pls(["--dir", cdir, "doctor", "--all", "--json"]).out).stale_temps ?? []) as unknown[];
  check(reported.length === leftovers.length, `crash create: doctor --all reported ${reported.length} of ${leftovers.length} leftover temps`);
  check(pls(["--dir", cdir, "pool", "create", "after", "--size", "64K"]).code === 0, "crash create: the next create failed");
  const remaining = readdirSync(cdir).filter((n) => n.startsWith("."));
  check(remaining.length === 0, `crash create: the next create left ${remaining.join(", ")}`);
  figures.push(`crash: ${createKills} creates SIGKILLed while allocating left ${leftovers.length} hidden temp(s); doctor --all reported each with an rm command, the next create removed them`);
}


/** Waits until `pid` is stopped (state T in /proc/PID/stat); false after WAIT_LIMIT_MS. */
async function untilStopped(pid: number): Promise<boolean> {
  return (
    (await waitFor(() => {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      return stat.slice(stat.lastIndexOf(")") + 2).startsWith("T");
    })) !== null
  );
}

/** A poke with a short lock timeout: it must finish (appended, or Busy naming the stopped holder) in bounded time. */
function boundedPoke(dir: string, label: string, stdin?: string): { code: number; err: string } {
  const t0 = performance.now();
  const r = pls(["--dir", dir, "poke", "s", "--lock-timeout", "300", ...(stdin === undefined ? ['{"probe":1}'] : [])], { stdin });
  const ms = performance.now() - t0;
  check(ms < WAIT_LIMIT_MS, `${label}: poke took ${ms.toFixed(0)} ms with a 300 ms lock timeout (limit ${WAIT_LIMIT_MS} ms)`);
  check(r.code === 0 || (r.code === 5 && /held by pid \d+ \([^)]*stopped\)/.test(r.err)), `${label}: poke exit ${r.code} ${r.err.slice(0, 200)}`);
  return r;
}

async function stoppedCampaign(): Promise<void> {
  const dir = join(work, "stopped");
  mkdirSync(dir);
  const path = join(dir, "s.plasmite");
  Pool.create(path, { sizeBytes: 1 << 20 }).close();
  // A writer stopped while it holds the lock (it takes the lock, then stops itself): CLI writers and a server
  // give up after their lock timeout, naming it; the server meanwhile answers everything else.
  const holdThenStop = `const { Pool } = await import(${JSON.stringify(join(ROOT, "src/pool/pool.ts"))});
    const { lockExclusive } = await import(${JSON.stringify(join(ROOT, "src/platform/files.ts"))});
    lockExclusive(Pool.open(process.argv[1]).mapped()); process.kill(process.pid, "SIGSTOP");`;
  const holder = Bun.spawn([process.execPath, "-e", holdThenStop, path], { stderr: "pipe" });
  check(await untilStopped(holder.pid), `stopped: the lock holder had not stopped after ${WAIT_LIMIT_MS} ms`);
  const one = boundedPoke(dir, "stopped holder (DATA)");
  const stream = boundedPoke(dir, "stopped holder (stream)", '{"a":1}\n{"a":2}\n');
  check(one.code === 5 && stream.code === 5, `stopped: pokes got through a held lock (${one.code}, ${stream.code})`);
  // /healthz must answer while the append waits out its lock timeout (an order, not a time: load slows both)
  const serverLockTimeoutMs = 2000;
  const { proc, url } = await startServe(dir, ["--lock-timeout", String(serverLockTimeoutMs)]);
  const t0 = performance.now();
  let appendSettled = false;
  const append = fetch(`${url}/v0/pools/s/append`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"data":{"x":1}}' }).finally(() => (appendSettled = true));
  await Bun.sleep(100);
  const h0 = performance.now();
  const health = await fetch(`${url}/healthz`);
  const healthMs = performance.now() - h0;
  const healthWhileWaiting = !appendSettled;
  const refused = await append;
  const refusedMs = performance.now() - t0;
  const body = await refused.text();
  check(health.status === 200 && healthWhileWaiting, `stopped: /healthz ${health.status} in ${healthMs.toFixed(0)} ms, ${healthWhileWaiting ? "while" : "only after"} an append waited ${serverLockTimeoutMs} ms for the lock`);
  check(refused.status === 423 && body.includes("stopped") && refusedMs >= serverLockTimeoutMs && refusedMs < serverLockTimeoutMs + WAIT_LIMIT_MS, `stopped: server append ${refused.status} after ${refusedMs.toFixed(0)} ms (--lock-timeout ${serverLockTimeoutMs}): ${body.slice(0, 200)}`);
  proc.kill("SIGTERM");
  await proc.exited;
  holder.kill("SIGKILL");
  await holder.exited;
  lockIsFree(path, "stopped holder killed");

  // Real writers stopped at a random moment (holding the lock or not): a probe poke never hangs.
  const rounds = quick ? 3 : 20;
  let busy = 0;
  for (let k = 0; k < rounds; k++) {
    const w = Bun.spawn([process.execPath, join(PROCS, "writer.ts"), path, String(k), "100000000", "mixed"], { env: { ...process.env, SEED: String(k + 1) }, stderr: "pipe" });
    await Bun.sleep(150 + Math.random() * 100);
    w.kill("SIGSTOP");
    await untilStopped(w.pid);
    if (boundedPoke(dir, `stopped writer ${k + 1}`).code === 5) busy++;
    w.kill("SIGKILL");
    await w.exited;
    verifyPool(path, `stopped writer ${k + 1}`);
    lockIsFree(path, `stopped writer ${k + 1}`);
  }
  figures.push(
    `stopped: a writer SIGSTOPped holding the lock: poke (DATA and stream) exit 5 naming it after --lock-timeout 300, a server append 423 after ${refusedMs.toFixed(0)} ms (--lock-timeout ${serverLockTimeoutMs}) while /healthz answered in ${healthMs.toFixed(0)} ms; ${rounds} writers stopped at random: every probe finished (${busy} Busy), pool valid, lock free once killed`,
  );
}

async function concurrencyCampaign(): Promise<void> {
  const writers = 8;
  const per = quick ? 1500 : 10_000;
  const total = writers * per;
  const dir = join(work, "conc");
  mkdirSync(dir);
  const path = join(dir, "c.plasmite");
  Pool.create(path, { sizeBytes: 64 * 1024 * 1024 }).close();
  const followers = Array.from({ length: 4 }, () => Bun.spawn([process.execPath, join(PROCS, "follower.ts"), path, String(total), "120000"], { stdout: "pipe" }));
  // a CLI --where follower: exactly the even i of every writer
  // (no --timeout: an idle spell while writers start on a loaded machine would end it early; it is stopped below)
  const where = Bun.spawn([process.execPath, MAIN, "--dir", dir, "peek", "c", "--since", "1h", "--where", ".data.i % 2 == 0", "--jsonl"], { stdout: "pipe", env: { ...process.env, NO_COLOR: "1" } });
  const whereOut = collect(where.stdout);
  await Bun.sleep(500);
  const t0 = performance.now();
  const ws = Array.from({ length: writers }, (_, w) => Bun.spawn([process.execPath, join(PROCS, "writer.ts"), path, String(w), String(per)], { stderr: "pipe" }));
  for (const w of ws) {
    const code = await w.exited;
    if (code !== 0) check(false, `concurrency: a writer exited ${code} after ${(performance.now() - t0).toFixed(0)} ms: ${(await new Response(w.stderr).text()).slice(0, 300)}`);
  }
  const writeMs = performance.now() - t0;
  const summaries = await Promise.all(followers.map(async (f) => JSON.parse((await new Response(f.stdout).text()).split("\n").filter((l) => l.startsWith("{")).pop()!)));
  const followMs = performance.now() - t0;
  for (const s of summaries) check(s.read === total && s.dropped === 0 && s.problems.length === 0, `concurrency: follower ${JSON.stringify(s)} (${followMs.toFixed(0)} ms after the writers started)`);
  const whereLinesOf = () => whereOut.text.split("\n").filter(Boolean);
  const whereMs = await waitFor(() => whereLinesOf().length >= total / 2);
  const whereEndedEarly = where.exitCode !== null;
  where.kill("SIGTERM");
  await where.exited;
  await whereOut.done;
  const whereLines = whereLinesOf();
  const whereDistinctEven = new Set(whereLines.map((l) => JSON.parse(l).data).filter((d) => d.i % 2 === 0).map((d) => `${d.w}/${d.i}`)).size;
  check(
    !whereEndedEarly && whereLines.length === total / 2 && whereDistinctEven === total / 2,
    `concurrency: --where follower ${whereEndedEarly ? "ended by itself and " : ""}printed ${whereLines.length} lines (${whereDistinctEven} distinct even), expected ${total / 2}, ${whereMs === null ? `still short ${WAIT_LIMIT_MS} ms` : `${whereMs} ms`} after the followers finished`,
  );
  const pool = Pool.open(path);
  const s = pool.state();
  check(s.oldestSeq === 1 && s.newestSeq === total, `concurrency: seqs ${s.oldestSeq}..${s.newestSeq}`);
  const last = new Map<number, number>();
  const c = new Cursor(pool, { oldest: true });
  let seq = 0;
  for (let it = c.next(); it; it = c.next()) {
    check(it.message!.seq === ++seq, "concurrency: seq gap");
    const { data } = decodePayload(it.message!.payload);
    check((data.i as number) === (last.get(data.w as number) ?? -1) + 1, `concurrency: writer ${data.w} out of order`);
    last.set(data.w as number, data.i as number);
  }
  pool.close();
  figures.push(`concurrency: ${writers} writer processes x ${per} = ${total} messages in ${(writeMs / 1000).toFixed(1)} s (${Math.round(total / (writeMs / 1000))}/s) with 4 followers and a --where follower: ${seq} contiguous seqs, every writer's order kept, each follower saw all ${total}, --where matched exactly ${whereLines.length}`);
}

async function badInputCampaign(): Promise<void> {
  const dir = join(work, "bad");
  pls(["--dir", dir, "pool", "create", "p", "--size", "64K"]);
  pls(["--dir", dir, "poke", "p", '{"seed":1}']);
  const file = join(dir, "p.plasmite");
  const before = sha(file);
  const badFile = join(work, "bad-utf8.json");
  writeFileSync(badFile, Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]));
  const nulFile = join(work, "nul.json");
  writeFileSync(nulFile, Buffer.from('{"a":"x\0y"}'));
  type Case = [string, string[], number, string?, (string | Uint8Array)?];
  const cli: Case[] = [];
  for (const bad of ["{", "}", "{a:1}", "{'a':1}", '{"a":}', '{"a":1,}', "[", "nul", "tru", '{"a":1}}', '{"a" 1}', "{\"a\":\"\\x\"}", "01", "{\"a\":NaN}", "{\"a\":Infinity}"]) cli.push([`invalid JSON ${bad}`, ["poke", "p", bad], 2, "Usage"]);
  for (const bad of ["[1]", '"s"', "1", "true", "null", "[]", "-0"]) cli.push([`non-object ${bad}`, ["poke", "p", bad], 2, "Usage"]);
  cli.push(["huge record", ["poke", "p", JSON.stringify({ x: "y".repeat(100_000) })], 2, "Usage"]);
  cli.push(["huge stream record", ["poke", "p", "--in", "jsonl"], 2, "Usage", JSON.stringify({ x: "z".repeat(2_000_000) }) + "\n"]);
  cli.push(["invalid UTF-8 file", ["poke", "p", "--file", badFile], 2, "Usage"]);
  cli.push(["NUL byte in JSON text", ["poke", "p", "--file", nulFile], 2, "Usage"]);
  cli.push(["empty stdin", ["poke", "p"], 2, "Usage", ""]);
  cli.push(["only whitespace", ["poke", "p"], 2, "Usage", "  \n\n "]);
  cli.push(["stream with a bad record (stop)", ["poke", "p"], 2, "Usage", "not json\n"]);
  for (const size of ["", "0", "10", "1.5X", "-1M", "5G", "1e9", "K", "12 34", "9999999999999999999"]) cli.push([`size '${size}'`, ["pool", "create", "q", "--size", size], 2, "Usage"]);
  for (const dur of ["5", "1w", "-1s", "s", "1.2.3s", "10 minutes"]) cli.push([`duration '${dur}'`, ["peek", "p", "--timeout", dur], 2, "Usage"]);
  for (const since of ["yesterday", "2026-13-01T00:00:00Z", "5x", "2026-01-01"]) cli.push([`since '${since}'`, ["peek", "p", "--since", since], 2, "Usage"]);
  for (const seq of ["0", "-1", "abc", "1.5", "99999999999999999999", ""]) cli.push([`seq '${seq}'`, ["get", "p", seq], 2, "Usage"]);
  for (const flag of ["--bogus", "-z", "--tail=", "--format=xml", "--jsonl=maybe"]) cli.push([`flag ${flag}`, ["peek", "p", flag, "--timeout", "10ms"], 2, "Usage"]);
  cli.push(["unknown command", ["frobnicate"], 2, "Usage"]);
  cli.push(["--retry not a number", ["poke", "p", "--retry", "many", "{}"], 2, "Usage"]);
  cli.push(["--create-size without --create", ["poke", "p", "--create-size", "1M", "{}"], 2, "Usage"]);
  cli.push(["--in xml", ["poke", "p", "--in", "xml", "{}"], 2, "Usage"]);
  cli.push(["--errors maybe", ["poke", "p", "--errors", "maybe", "{}"], 2, "Usage"]);
  cli.push(["--replay without history", ["peek", "p", "--replay", "2"], 2, "Usage"]);
  cli.push(["--tail with --since", ["peek", "p", "--tail", "1", "--since", "1h"], 2, "Usage"]);
  cli.push(["empty tag", ["poke", "p", "--tag", "", "{}"], 2, "Usage"]);
  cli.push(["missing pool get", ["get", "missing", "1"], 3, "NotFound"]);
  cli.push(["missing pool poke", ["poke", "missing", "{}"], 3, "NotFound"]);
  cli.push(["seq not retained", ["get", "p", "999"], 3, "NotFound"]);
  cli.push(["pool exists", ["pool", "create", "p"], 4, "AlreadyExists"]);
  cli.push(["bad --where", ["peek", "p", "--where", ".data |||", "--tail", "1"], 2, "Usage"]);
  cli.push(["non-boolean --where", ["peek", "p", "--where", ".data", "--tail", "1", "--timeout", "1s"], 2, "Usage"]);
  cli.push(["remote scheme", ["get", "ftp://h/p", "1"], 2, "Usage"]);
  cli.push(["remote API path", ["get", "http://127.0.0.1:1/v0/pools/p", "1"], 2, "Usage"]);
  cli.push(["unreachable server", ["get", "http://127.0.0.1:1/p", "1"], 8, "Io"]);
  let passed = 0;
  for (const [name, args, code, kind, stdin] of cli) {
    const r = pls(["--dir", dir, ...args], { stdin });
    const errKind = r.err.includes('"error"') ? JSON.parse(r.err.trim().split("\n").find((l) => l.startsWith('{"error"'))!).error.kind : null;
    const ok = r.code === code && (!kind || errKind === kind);
    check(ok, `bad input (cli) ${name}: exit ${r.code} kind ${errKind}, expected ${code} ${kind}`);
    if (ok) passed++;
  }
  // an argument that is not UTF-8 (Bun hands argv over with U+FFFD in place of the bytes): refused, not stored
  const rawArg = Bun.spawnSync(["bash", "-c", `exec "$0" "$1" --dir "$2" poke p $'{"a":"\\xff"}'`, process.execPath, MAIN, dir]);
  check(rawArg.exitCode === 2, `bad input (cli) invalid UTF-8 argument: exit ${rawArg.exitCode}, expected 2`);
  if (rawArg.exitCode === 2) passed++;
  check(sha(file) === before, "bad input: the pool file changed");

  // HTTP
  const tokenFile = join(work, "token");
  writeFileSync(tokenFile, "campaign-token\n");
  const { proc, url } = await startServe(dir, ["--token-file", tokenFile, "--max-body-bytes", "4096"]);
  const auth = { authorization: "Bearer campaign-token" };
  type HttpCase = [string, string, string, string | Uint8Array | undefined, Record<string, string>, number];
  const http: HttpCase[] = [];
  for (const name of ["..", "..%2F..%2Fetc%2Fpasswd", "a%2Fb", ".hidden", "%00", "a..b", "x".repeat(200), "sp%20ace", "semi;colon", "%2e%2e"]) {
    http.push([`pool name ${name}`, "POST", `/v0/pools/${name}/append`, JSON.stringify({ data: {} }), auth, 400]);
  }
  http.push(["create ../escape", "POST", "/v0/pools", JSON.stringify({ pool: "../escape" }), auth, 400]);
  http.push(["create a/b", "POST", "/v0/pools", JSON.stringify({ pool: "a/b" }), auth, 400]);
  http.push(["oversized body", "POST", "/v0/pools/p/append", JSON.stringify({ data: { x: "y".repeat(10_000) } }), auth, 413]);
  http.push(["invalid JSON body", "POST", "/v0/pools/p/append", "{nope", auth, 400]);
  http.push(["empty body", "POST", "/v0/pools/p/append", "", auth, 400]);
  http.push(["non-object data", "POST", "/v0/pools/p/append", JSON.stringify({ data: [1] }), auth, 400]);
  http.push(["invalid UTF-8 body", "POST", "/v0/pools/p/append", new Uint8Array([0x7b, 0x22, 0x64, 0x22, 0x3a, 0xff, 0x7d]), auth, 400]);
  http.push(["invalid UTF-8 in a string", "POST", "/v0/pools/p/append", new Uint8Array([...Buffer.from('{"data":{"a":"'), 0xff, ...Buffer.from('"}}')]), auth, 400]);
  http.push(["missing token", "GET", "/v0/pools", undefined, {}, 401]);
  http.push(["wrong token", "GET", "/v0/pools", undefined, { authorization: "Bearer nope" }, 401]);
  http.push(["wrong scheme token", "GET", "/v0/pools", undefined, { authorization: "Token campaign-token" }, 401]);
  http.push(["bad seq", "GET", "/v0/pools/p/messages/abc", undefined, auth, 400]);
  http.push(["seq past 2^53", "GET", "/v0/pools/p/messages/9007199254740993", undefined, auth, 400]);
  http.push(["seq 1e23", "GET", "/v0/pools/p/messages/100000000000000000000000", undefined, auth, 400]);
  http.push(["bad tail timeout", "GET", "/v0/pools/p/tail?timeout_ms=99999999", undefined, auth, 400]);
  http.push(["bad tail max", "GET", "/v0/pools/p/tail?max=-1", undefined, auth, 400]);
  http.push(["bad gap policy", "GET", "/v0/pools/p/tail?gap_policy=x", undefined, auth, 400]);
  http.push(["unknown route", "GET", "/v0/nope", undefined, auth, 404]);
  http.push(["bad since_time_ms", "GET", "/v0/pools/p/tail?since_time_ms=yesterday", undefined, auth, 400]);
  http.push(["two start params", "GET", "/v0/pools/p/tail?since_seq=1&last=2", undefined, auth, 400]);
  http.push(["bad durability", "POST", "/v0/pools/p/append", JSON.stringify({ data: {}, durability: "later" }), auth, 400]);
  http.push(["tags not an array", "POST", "/v0/pools/p/append", JSON.stringify({ data: {}, tags: "a" }), auth, 400]);
  http.push(["empty tag", "POST", "/v0/pools/p/append", JSON.stringify({ data: {}, tags: [""] }), auth, 400]);
  http.push(["create size too small", "POST", "/v0/pools", JSON.stringify({ pool: "tiny", size_bytes: 100 }), auth, 400]);
  // what a web page can send without a CORS preflight (spec/remote/v0 §2, browser safety)
  http.push(["text/plain body", "POST", "/v0/pools/p/append", JSON.stringify({ data: {} }), { ...auth, "content-type": "text/plain" }, 415]);
  http.push(["form body", "POST", "/v0/pools/p/append", "a=1", { ...auth, "content-type": "application/x-www-form-urlencoded" }, 415]);
  http.push(["text/plain create", "POST", "/v0/pools", JSON.stringify({ pool: "csrf", size_bytes: 4 * 1024 ** 3 }), { ...auth, "content-type": "text/plain" }, 415]);
  http.push(["foreign Origin append", "POST", "/v0/pools/p/append", JSON.stringify({ data: {} }), { ...auth, origin: "http://evil.example" }, 403]);
  http.push(["foreign Origin delete", "DELETE", "/v0/pools/p", undefined, { ...auth, origin: "null" }, 403]);
  for (const [name, method, path, body, headers, status] of http) {
    // bodies go as JSON unless the case says otherwise
    const sent = body === undefined || "content-type" in headers ? headers : { ...headers, "content-type": "application/json" };
    const r = await fetch(url + path, { method, body, headers: sent });
    const text = await r.text();
    // dot segments ("..", "%2e%2e") are resolved by the HTTP client before sending: no route (404), nothing touched
    const dotSegment = /\/(\.\.|%2e%2e)\//i.test(path) && r.status === 404;
    const ok = (r.status === status || dotSegment) && text.includes('"error"');
    check(ok, `bad input (http) ${name}: status ${r.status}, expected ${status}: ${text.slice(0, 120)}`);
    if (ok) passed++;
  }
  // slow clients that never read a tail stream: they hold a slot until they go away, then it comes back
  const slow = Array.from({ length: 20 }, () => new AbortController());
  const big = Array.from({ length: 200 }, (_, i) => ({ data: { i, pad: "p".repeat(200) } }));
  for (const b of big) await fetch(`${url}/v0/pools/p/append`, { method: "POST", body: JSON.stringify(b), headers: auth });
  const streams = slow.map((c) => fetch(`${url}/v0/pools/p/tail?since_seq=1&timeout_ms=30000`, { headers: auth, signal: c.signal }).catch(() => null));
  const healthz = async () => (await (await fetch(`${url}/healthz`)).json()) as { active_tails: number; watched_pools: number };
  let busy = await healthz();
  const openMs = await waitFor(async () => (busy = await healthz()).active_tails === 20);
  for (const c of slow) c.abort();
  await Promise.all(streams);
  let after = await healthz();
  const closeMs = await waitFor(async () => {
    after = await healthz();
    return after.active_tails === 0 && after.watched_pools === 0;
  });
  const slowOk = openMs !== null && closeMs !== null;
  const openSaid = openMs === null ? `not all 20 open after ${WAIT_LIMIT_MS} ms` : `20 open after ${openMs} ms`;
  const closeSaid = closeMs === null ? `not all released ${WAIT_LIMIT_MS} ms after the clients left` : `released after ${closeMs} ms`;
  check(slowOk, `bad input: slow clients ${JSON.stringify({ busy, after })}: ${openSaid}, ${closeSaid}`);
  if (slowOk) passed++;
  proc.kill("SIGTERM");
  await proc.exited;
  // DNS rebinding: a token-less server answers only its own names
  const open = await startServe(dir, ["--allow-host", "pools.example"]);
  const port = new URL(open.url).port;
  const hostCases: Array<[string, number]> = [[`rebind.evil.example:${port}`, 421], [`localhost:${port}`, 200], [`pools.example:${port}`, 200], [`127.0.0.1:${port}`, 200]];
  for (const [host, status] of hostCases) {
    const r = await fetch(`${open.url}/v0/pools`, { headers: { host } });
    const ok = r.status === status;
    check(ok, `bad input (http) Host ${host}: status ${r.status}, expected ${status}`);
    if (ok) passed++;
  }
  open.proc.kill("SIGTERM");
  await open.proc.exited;
  figures.push(`bad input: ${cli.length + 1} CLI + ${http.length + hostCases.length} HTTP cases + 20 never-reading tail clients: ${passed}/${cli.length + 1 + http.length + hostCases.length + 1} gave the documented kind and exit code/status; the pool file was byte-for-byte unchanged by the CLI cases`);
}

async function loadCampaign(): Promise<void> {
  const seconds = quick ? 5 : 60;
  const dir = join(work, "load");
  pls(["--dir", dir, "pool", "create", "load", "--size", "16M"]);
  const { proc, url } = await startServe(dir);
  const pid = proc.pid;
  const sample = () => ({
    rssKb: Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0),
    fds: readdirSync(`/proc/${pid}/fd`).length,
  });
  const samples: Array<{ rssKb: number; fds: number }> = [];
  const loader = Bun.spawn([process.execPath, join(import.meta.dir, "campaign-load.ts"), url, String(seconds)], { stdout: "pipe", stderr: "inherit" });
  const sampler = setInterval(() => samples.push(sample()), 1000);
  const result = JSON.parse((await new Response(loader.stdout).text()).trim()) as { appends: number; errors: number; p50: number; p99: number; tailed: number };
  clearInterval(sampler);
  let health = { active_tails: -1, watched_pools: -1 };
  const releasedMs = await waitFor(async () => {
    health = (await (await fetch(`${url}/healthz`)).json()) as typeof health;
    return health.active_tails === 0 && health.watched_pools === 0;
  });
  const end = sample();
  proc.kill("SIGTERM");
  await proc.exited;
  const warm = samples[Math.min(samples.length - 1, Math.floor(samples.length / 4))] ?? end;
  const maxRss = Math.max(...samples.map((s) => s.rssKb), end.rssKb);
  check(result.errors === 0, `load: ${result.errors} errors`);
  check(releasedMs !== null, `load: leaked ${JSON.stringify(health)} ${WAIT_LIMIT_MS} ms after the load ended`);
  const startFds = samples[0]?.fds ?? end.fds; // sampled each second while the load ran
  check(end.fds <= startFds + 2, `load: fds ${startFds} -> ${end.fds}`);
  check(maxRss < warm.rssKb * 1.5 + 20_000, `load: memory grew ${warm.rssKb} -> ${maxRss} kB`);
  figures.push(`load: ${seconds} s of 16 append connections + 8 tail followers on 127.0.0.1: ${Math.round(result.appends / seconds)} appends/s, p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, ${result.errors} errors, ${result.tailed} messages streamed; server RSS ${(warm.rssKb / 1024).toFixed(0)} MB after warm-up, max ${(maxRss / 1024).toFixed(0)} MB; fds ${samples[0]?.fds} -> ${end.fds}; tails/watchers at the end ${health.active_tails}/${health.watched_pools}`);
}

async function truncateCampaign(): Promise<void> {
  // pool files truncated under a live server, a following peek and a streaming poke: Corrupt for that pool, never
  // SIGBUS (exit 135); the server keeps serving its other pools
  const rounds = quick ? 1 : 5;
  // mid-flight truncation needs the shim's SIGBUS guard (the size checks leave the instant after a check)
  const guarded = nativeBackend() === "shim";
  let corrupt = 0;
  for (let r = 0; r < rounds; r++) {
    const dir = join(work, `truncate-${r}`);
    pls(["--dir", dir, "pool", "create", "gone", "half", "kept", "busy"]);
    for (const p of ["gone", "half", "kept"]) pls(["--dir", dir, "poke", p, '{"before":true}']);
    const { proc, url } = await startServe(dir);
    const tails = ["gone", "half"].map((p) => fetch(`${url}/v0/pools/${p}/tail?from=live&timeout_ms=10000`).then((res) => res.text()));
    const peek = Bun.spawn([process.execPath, MAIN, "--dir", dir, "peek", "gone"], { stdout: "ignore", stderr: "pipe" });
    const poke = Bun.spawn([process.execPath, MAIN, "--dir", dir, "poke", "half"], { stdin: "pipe", stdout: "ignore", stderr: "pipe" });
    poke.stdin.write('{"n":1}\n');
    await poke.stdin.flush();
    await Bun.sleep(500);
    truncateSync(join(dir, "gone.plasmite"), 0);
    truncateSync(join(dir, "half.plasmite"), 65536);
    poke.stdin.write('{"n":2}\n');
    await poke.stdin.flush();
    const exits = await Promise.all([peek.exited, poke.exited].map((e) => Promise.race([e, Bun.sleep(5000).then(() => -1)])));
    check(exits[0] === 7 && exits[1] === 7, `truncate: peek exited ${exits[0]}, streaming poke ${exits[1]} (expected 7, Corrupt)`);
    for (const body of await Promise.all(tails)) check(body.includes('"kind":"Corrupt"'), `truncate: a tail of a truncated pool ended without a Corrupt line: ${body.slice(-200)}`);
    const kept = await fetch(`${url}/v0/pools/kept/append`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"data":{"after":true}}' });
    check(kept.status === 200 && proc.exitCode === null, `truncate: the server's other pool answered ${kept.status}, server exit ${proc.exitCode}`);
    let busyOk = true;
    if (guarded) {
      // truncated while a streaming poke and the server both append to it without pause
      const busy = Bun.spawn([process.execPath, MAIN, "--dir", dir, "poke", "busy"], { stdin: "pipe", stdout: "ignore", stderr: "pipe" });
      let feeding = true;
      const feed = (async () => {
        for (let i = 0; feeding; ) {
          try {
            busy.stdin.write(Array.from({ length: 200 }, () => JSON.stringify({ i: i++ })).join("\n") + "\n");
            await busy.stdin.flush();
          } catch {
            return;
          }
        }
      })();
      const posts = (async () => {
        while (feeding) await fetch(`${url}/v0/pools/busy/append`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"data":{"http":true}}' }).catch(() => null);
      })();
      await Bun.sleep(300);
      truncateSync(join(dir, "busy.plasmite"), 4096);
      const busyExit = await Promise.race([busy.exited, Bun.sleep(5000).then(() => -1)]);
      feeding = false;
      await Promise.all([feed, posts]);
      busy.kill("SIGKILL");
      const health = await fetch(`${url}/healthz`).then((res) => res.status).catch(() => 0);
      busyOk = busyExit === 7 && health === 200 && proc.exitCode === null;
      check(busyOk, `truncate mid-flight: streaming poke exited ${busyExit} (expected 7), server healthz ${health}, exit ${proc.exitCode}`);
    }
    if (exits.every((e) => e === 7) && kept.status === 200 && busyOk) corrupt++;
    for (const p of [peek, poke, proc]) p.kill("SIGKILL");
    await proc.exited;
  }
  figures.push(`truncate: pools truncated (to 0, 4 KiB and 64 KiB) under a live server, peek and streaming pokes${guarded ? ", one of them mid-flight with the server appending too" : " (mid-flight case skipped: libc binding, no SIGBUS guard)"}, ${rounds} round(s): ${corrupt}/${rounds} ended with Corrupt for those pools only (no SIGBUS), the server kept serving the other pool`);
}

async function limitsCampaign(): Promise<void> {
  // a pool the user cannot write: Permission (exit 6); run as `nobody` when we are root
  const dir = join(work, "perm");
  pls(["--dir", dir, "poke", "p", "--create", "{}"]);
  Bun.spawnSync(["chmod", "755", work, dir]);
  Bun.spawnSync(["chmod", "644", join(dir, "p.plasmite")]);
  const asNobody = process.getuid?.() === 0 && existsSync("/usr/bin/setpriv");
  const cmd = [process.execPath, MAIN, "--dir", dir, "poke", "p", "{}"];
  const r = asNobody
    ? Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ...cmd], { env: { PATH: "/usr/bin:/bin", HOME: "/tmp", NO_COLOR: "1" } })
    : Bun.spawnSync(cmd);
  const perm = { code: r.exitCode, err: r.stderr.toString() };
  check(!asNobody || (perm.code === 6 && perm.err.includes('"Permission"')), `limits: unwritable pool gave ${perm.code} ${perm.err.slice(0, 200)}`);
  if (asNobody) {
    const read = Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, MAIN, "--dir", dir, "get", "p", "1"], { env: { PATH: "/usr/bin:/bin", HOME: "/tmp", NO_COLOR: "1" } });
    check(read.exitCode === 0, `limits: a read-only user could not read: ${read.stderr}`);
    // following a pool this user may only read: it polls (no store to the read-only mapping, so no SIGSEGV)
    // it says `polling` before it first waits: the pokes come after that, and it is stopped once it printed them
    const follower = Bun.spawn(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, MAIN, "--dir", dir, "peek", "p", "--jsonl"], { env: { PATH: "/usr/bin:/bin", HOME: "/tmp", NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe" });
    const [followed, followErr] = [collect(follower.stdout), collect(follower.stderr)];
    const readyMs = await waitFor(() => followErr.text.includes('"polling"') || follower.exitCode !== null);
    for (let i = 0; i < 3; i++) pls(["--dir", dir, "poke", "p", JSON.stringify({ live: i })]);
    const linesOf = () => followed.text.trim().split("\n").filter(Boolean).length;
    const followMs = await waitFor(() => linesOf() === 3 || follower.exitCode !== null);
    const followCode = follower.exitCode; // null: still following, as it should
    follower.kill("SIGTERM");
    await Promise.all([follower.exited, followed.done, followErr.done]);
    const when = `${readyMs === null ? `no polling notice in ${WAIT_LIMIT_MS} ms` : `ready after ${readyMs} ms`}, ${followMs === null ? `short of 3 after ${WAIT_LIMIT_MS} ms` : `${followMs} ms for the pokes`}`;
    check(followCode === null && linesOf() === 3, `limits: a read-only follower ${followCode === null ? "kept following" : `exited ${followCode}`} with ${linesOf()} of 3 messages (${when}): ${followErr.text.slice(0, 200)}`);
  }
  // a full disk: creating a pool that does not fit is reported (Io, exit 8); a created pool never runs out
  const small = join(work, "small-disk");
  mkdirSync(small);
  const mounted = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", small]).exitCode === 0;
  if (mounted) {
    try {
      const big = pls(["--dir", small, "pool", "create", "big", "--size", "8M"]);
      check(big.code === 8 && big.err.includes("no space"), `limits: full disk create gave ${big.code} ${big.err.slice(0, 200)}`);
      check(readdirSync(small).length === 0, `limits: a failed create left ${readdirSync(small).join(", ")} behind`);
      check(pls(["--dir", small, "pool", "create", "fits", "--size", "1M"]).code === 0, "limits: 1M pool should fit");
      Bun.spawnSync(["sh", "-c", `dd if=/dev/zero of='${small}/filler' bs=64k 2>/dev/null; true`]);
      const lines = Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ i, pad: "q".repeat(100) })).join("\n");
      const fill = pls(["--dir", small, "poke", "fits"], { stdin: lines });
      check(fill.code === 0, `limits: appends to a pre-allocated pool on a full disk failed: ${fill.err.slice(0, 200)}`);
      check(doctorPool(join(small, "fits.plasmite")).status === "ok", "limits: pool on the full disk is not ok");
    } finally {
      Bun.spawnSync(["umount", small]);
    }
  }
  // the documented largest pool (4 GiB): created, written, read and checked like any other
  const maxDir = join(work, "max-size");
  const disk = statfsSync(work);
  const roomForMax = disk.bavail * disk.bsize >= 5 * 1024 ** 3;
  let maxCreateMs = 0;
  if (roomForMax) {
    const t0 = performance.now();
    const made = pls(["--dir", maxDir, "pool", "create", "max", "--size", "4G"]);
    maxCreateMs = performance.now() - t0;
    check(made.code === 0, `limits: 4G create gave ${made.code} ${made.err.slice(0, 200)}`);
    check(pls(["--dir", maxDir, "poke", "max", '{"n":1}']).code === 0 && pls(["--dir", maxDir, "get", "max", "1"]).code === 0, "limits: 4G pool poke/get failed");
    check(pls(["--dir", maxDir, "doctor", "max"]).code === 0, "limits: 4G pool doctor failed");
    rmSync(maxDir, { recursive: true, force: true });
  }
  figures.push(`limits: 4 GiB pool ${roomForMax ? `created in ${maxCreateMs.toFixed(0)} ms, poke/get/doctor ok` : "(skipped: less than 5 GiB free)"}`);
  figures.push(`limits: unwritable pool ${asNobody ? "(as nobody)" : "(skipped: not root)"} -> exit ${perm.code} Permission, reads and follows (by polling) still work; full disk ${mounted ? "(2 MiB tmpfs)" : "(skipped: cannot mount)"}: create reported as Io (exit 8) with nothing left behind, and a created pool kept taking 20,000 appends (blocks are reserved at creation, so no SIGBUS)`);
}

/** --where that jq cannot finish or cannot read: a runaway expression yields to --timeout, an unreadable message matches nothing. */
async function whereCampaign(): Promise<void> {
  const dir = join(work, "where");
  pls(["--dir", dir, "pool", "create", "p"]);
  // a follower stuck in an expression that never ends (jq runs in a worker thread): fed until it exits
  const t0 = performance.now();
  const stuck = Bun.spawn([process.execPath, MAIN, "--dir", dir, "peek", "p", "--where", "def f: f; f", "--timeout", "1s"], { stdout: "ignore", stderr: "ignore" });
  for (let i = 0; stuck.exitCode === null && performance.now() - t0 < WAIT_LIMIT_MS; i++) {
    pls(["--dir", dir, "poke", "p", JSON.stringify({ i })]);
    await Bun.sleep(100);
  }
  if (stuck.exitCode === null) stuck.kill("SIGKILL");
  const stuckCode = await stuck.exited;
  const stuckMs = Math.round(performance.now() - t0);
  check(stuckCode === 124, `where: a follower stuck in 'def f: f; f' exited ${stuckCode} after ${stuckMs} ms, expected 124 from --timeout 1s`);
  // a message nested deeper than jq's parser reads, between two that match
  const deep = JSON.stringify({ mark: 2, deep: JSON.parse("[".repeat(300) + "]".repeat(300)) });
  pls(["--dir", dir, "poke", "p"], { stdin: `{"mark": 1}\n${deep}\n{"mark": 3}\n` });
  const r = pls(["--dir", dir, "peek", "p", "--tail", "3", "--where", '.data | has("mark")', "--timeout", "10ms"]);
  const marks = r.out.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l).data.mark);
  check(r.code === 124 && JSON.stringify(marks) === "[1,3]", `where: a 300-deep message between two matches gave exit ${r.code} and marks ${JSON.stringify(marks)}, expected 124 and [1,3]: ${r.err.slice(0, 200)}`);
  figures.push(`where: a follower stuck in --where 'def f: f; f' ended by --timeout 1s (exit ${stuckCode}, ${stuckMs} ms from start); a message 300 levels deep matched nothing and the batch around it was answered`);
}

const campaigns: Record<string, () => Promise<void>> = { crash: crashCampaign, stopped: stoppedCampaign, concurrency: concurrencyCampaign, badinput: badInputCampaign, load: loadCampaign, truncate: truncateCampaign, limits: limitsCampaign, where: whereCampaign };
for (const [name, run] of Object.entries(campaigns)) {
  if (only && !only.includes(name)) continue;
  const t0 = performance.now();
  try {
    await run();
  } catch (err) {
    failures.push(`${name}: ${(err as Error).stack ?? err}`);
  }
  console.log(`== ${name} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
for (const f of figures) console.log(`  ${f}`);
rmSync(work, { recursive: true, force: true });
if (failures.length) {
  console.log(`\nFAILURES (${failures.length}):`);
  for (const f of failures.slice(0, 50)) console.log(`  - ${f}`);
}
console.log(`campaign: ${failures.length === 0 ? "ok" : `${failures.length} failure(s)`}`);
process.exit(failures.length === 0 ? 0 : 1);
