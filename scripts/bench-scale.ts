// Reads at scale (issue #14): lookups and `--since` starts independent of the pool's size, and memory bounded by
// the batch for `peek --tail N`, live followers and the server. Every figure is printed next to a baseline
// measured in this run. Usage: bun scripts/bench-scale.ts [--quick] [--size BYTES] [--only get,since,doctor,tail,follow,serve,http]
// [--serve-messages N] (default 10M, 400k with --quick) [--pls CMD] (a compiled binary instead of the sources)
// The full run fills a 4 GiB pool (~45M messages) under $PLASMITE_BENCH_DIR (default /tmp); --quick uses 256 MiB.
import { join } from "node:path";
import { readFileSync, rmSync } from "node:fs";
import { Pool } from "../src/pool/pool.ts";
import { Cursor } from "../src/pool/cursor.ts";
import type { StoredMessage } from "../src/pool/reader.ts";
import { formatTime } from "../src/wire/index.ts";
import { benchDir, interleavedMedians, printRows, type Row } from "./bench-lib.ts";

const quick = process.argv.includes("--quick");
const argAfter = (flag: string) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const SIZE = Number(argAfter("--size") ?? (quick ? 256 * 2 ** 20 : 4 * 2 ** 30));
const only = new Set((argAfter("--only") ?? "get,since,doctor,tail,follow,serve,http").split(","));
const bun = process.execPath;
const main = join(import.meta.dir, "../src/cli/main.ts");
// --pls CMD runs a compiled binary (e.g. dist/pls, what users run) instead of `bun src/cli/main.ts`
const plsCommand = argAfter("--pls");
const pls = (...args: string[]) => (plsCommand ? [plsCommand, ...args] : [bun, main, ...args]);

// Four message shapes cycled: two tags, a number --where can test. Payloads of 57-59 bytes: 96-byte frames.
const enc = new TextEncoder();
const shapes = [0, 1, 2, 3].map((k) => enc.encode(`{"meta":{"tags":["t${k % 2}"]},"data":{"k":${k},"v":"abcdefgh"}}`));

const path = join(benchDir, "big.plasmite");
const fillT0 = performance.now();
const pool = Pool.create(path, { sizeBytes: SIZE });
{
  // two laps: the ring is full and has wrapped, so oldest_seq > 1 and every offset has been written twice
  const batch = Array.from({ length: 4096 }, (_, i) => shapes[i % 4]);
  const perLap = Math.ceil(pool.geometry.ringSize / 96);
  for (let n = 0; n < perLap * 2; n += batch.length) pool.appendPayloads(batch);
}
const s = pool.state();
const retained = s.newestSeq - s.oldestSeq + 1;
console.log(
  `pool: ${SIZE} bytes, ${retained} messages retained (seqs ${s.oldestSeq}..${s.newestSeq}), index ${pool.geometry.indexCapacity} slots, stride ${pool.geometry.indexStride}; filled in ${((performance.now() - fillT0) / 1000).toFixed(1)} s`,
);

const rate = (ops: number, ms: number) => (ops * 1000) / ms;

if (only.has("get")) {
  // In-process get of random seqs anywhere, against random seqs among the newest 65,536 (all that format 1's
  // default index covered: everything older was a scan).
  const N = quick ? 300_000 : 1_000_000;
  const rand = (span: number) => Array.from({ length: N }, () => s.newestSeq - Math.floor(Math.random() * span));
  const anywhere = rand(retained);
  const recent = rand(Math.min(65536, retained));
  const time = (seqs: number[]) => {
    let best = Infinity;
    for (let round = 0; round < 3; round++) {
      const t0 = performance.now();
      for (const q of seqs) if (pool.get(q).seq !== q) throw new Error(`get(${q}) returned another seq`);
      best = Math.min(best, performance.now() - t0);
    }
    return best;
  };
  const recentMs = time(recent);
  const anywhereMs = time(anywhere);
  // getMany: the same lookups 64 per call (a chunk's slot and frame loads overlap instead of queueing)
  let manyMs = Infinity;
  for (let round = 0; round < 3; round++) {
    const t0 = performance.now();
    for (let i = 0; i < N; i += 64) {
      const part = anywhere.slice(i, i + 64);
      const got = pool.getMany(part);
      for (let k = 0; k < part.length; k++) if (got[k]!.seq !== part[k]) throw new Error(`getMany returned another seq for ${part[k]}`);
    }
    manyMs = Math.min(manyMs, performance.now() - t0);
  }
  // The memory floor: one 4-byte load at a random place in the same mapping per op, each address depending on
  // the value loaded before it (as a get's frame depends on its index slot: independent loads overlap and were
  // 30x faster, which said nothing). A get anywhere makes at least two such loads (its index slot, then its
  // frame), so on a pool far larger than the CPU's caches its rate is bounded by this machine's memory latency.
  const words = (pool as unknown as { ring: { u32: Uint32Array } }).ring.u32;
  const spots = Array.from({ length: N }, () => Math.floor(Math.random() * words.length));
  let touchMs = Infinity;
  let sink = 0;
  for (let round = 0; round < 3; round++) {
    const t0 = performance.now();
    for (const w of spots) sink = words[w ^ (sink & 1)]!; // the next address waits for this load
    touchMs = Math.min(touchMs, performance.now() - t0);
  }
  // The same loads independent of one another (what getMany's chunks make): they overlap as far as this machine
  // lets them. In a VM, each random load into a mapping far larger than the TLB's reach walks two page tables,
  // and those walks queue: this floor, not the CPU, is what getMany meets.
  let freeMs = Infinity;
  for (let round = 0; round < 3; round++) {
    const t0 = performance.now();
    let t = 0;
    for (const w of spots) t |= words[w]!;
    freeMs = Math.min(freeMs, performance.now() - t0);
    sink ^= t;
  }
  if (sink === 0.5) console.log(sink);
  // one-shot `pls get` of the oldest, the middle and the newest seq (whole process, medians of interleaved runs)
  const mid = Math.floor((s.oldestSeq + s.newestSeq) / 2);
  const runs = quick ? 5 : 9;
  const [baseMs, oldestMs, midMs, newestMs] = interleavedMedians(
    [[bun, "-e", "console.log(1)"], pls("get", path, String(s.oldestSeq)), pls("get", path, String(mid)), pls("get", path, String(s.newestSeq))],
    runs,
  );
  const spread = Math.max(oldestMs, midMs, newestMs) / Math.min(oldestMs, midMs, newestMs);
  printRows(`get by seq, ${retained} messages in a ${SIZE}-byte pool`, [
    { name: "baseline: get among the newest 65,536 seqs", value: rate(N, recentMs), unit: "ops/s", ratio: 1 },
    { name: "get of random seqs anywhere", value: rate(N, anywhereMs), unit: "ops/s", ratio: recentMs / anywhereMs, target: ">= 1M/s", ok: rate(N, anywhereMs) >= 1e6 },
    { name: "getMany of the same seqs, 64 per call", value: rate(N, manyMs), unit: "ops/s", ratio: recentMs / manyMs, target: ">= 1M/s", ok: rate(N, manyMs) >= 1e6 },
    { name: "floor: dependent random 4-byte loads in the mapping", value: rate(N, touchMs), unit: "ops/s", ratio: recentMs / touchMs },
    { name: "get anywhere / two random loads (1 = the memory floor)", value: (2 * touchMs) / anywhereMs, unit: "x" },
    { name: "floor: independent random 4-byte loads in the mapping", value: rate(N, freeMs), unit: "ops/s", ratio: recentMs / freeMs },
    { name: "baseline: `bun -e` one-line process", value: baseMs, unit: "ms", ratio: 1 },
    { name: `pls get, oldest seq ${s.oldestSeq}`, value: oldestMs, unit: "ms", ratio: oldestMs / baseMs },
    { name: `pls get, middle seq ${mid}`, value: midMs, unit: "ms", ratio: midMs / baseMs },
    { name: `pls get, newest seq ${s.newestSeq}`, value: newestMs, unit: "ms", ratio: newestMs / baseMs },
    { name: "slowest / fastest of the three", value: spread, unit: "x", target: "<= 1.5x", ok: spread <= 1.5 },
  ]);
}

if (only.has("since")) {
  // `peek --since TIME --one`: the start is a binary search of lookups; an old time against a recent one
  const at = (seq: number) => formatTime(pool.get(seq).timeNs);
  const mid = Math.floor((s.oldestSeq + s.newestSeq) / 2);
  const peekSince = (seq: number) => pls("peek", path, "--since", at(seq), "--one", "--jsonl");
  const runs = quick ? 5 : 9;
  const [baseMs, oldMs, midMs, newMs] = interleavedMedians(
    [[bun, "-e", "console.log(1)"], peekSince(s.oldestSeq + 10), peekSince(mid), peekSince(s.newestSeq)],
    runs,
  );
  const spread = Math.max(oldMs, midMs, newMs) / Math.min(oldMs, midMs, newMs);
  printRows("peek --since TIME --one (whole process)", [
    { name: "baseline: `bun -e` one-line process", value: baseMs, unit: "ms", ratio: 1 },
    { name: "--since the oldest messages' time", value: oldMs, unit: "ms", ratio: oldMs / baseMs },
    { name: "--since the middle message's time", value: midMs, unit: "ms", ratio: midMs / baseMs },
    { name: "--since the newest message's time", value: newMs, unit: "ms", ratio: newMs / baseMs },
    { name: "slowest / fastest of the three", value: spread, unit: "x", target: "<= 1.5x", ok: spread <= 1.5 },
  ]);
}

if (only.has("doctor")) {
  // `pls doctor` checks every retained frame (header, payload crc, payload shape): against the same messages read
  // raw by a cursor in this process (crc checked, nothing parsed), and against `peek --tail ALL > /dev/null`
  const readMs = (() => {
    const t0 = performance.now();
    const cursor = new Cursor(pool, { oldest: true });
    const batch: StoredMessage[] = [];
    let n = 0;
    for (;;) {
      batch.length = 0;
      cursor.nextBatch(batch, 4096);
      if (batch.length === 0) break;
      n += batch.length;
    }
    if (n !== retained) throw new Error(`cursor read ${n} of ${retained}`);
    return performance.now() - t0;
  })();
  const t0 = performance.now();
  const doctor = Bun.spawnSync(pls("doctor", path, "--json"));
  const doctorMs = performance.now() - t0;
  const report = JSON.parse(doctor.stdout.toString()).reports[0];
  if (doctor.exitCode !== 0 || report.messages_checked !== retained) throw new Error(`doctor: exit ${doctor.exitCode}, ${doctor.stdout}`);
  const t1 = performance.now();
  const peek = Bun.spawnSync(pls("peek", path, "--tail", String(retained), "--jsonl", "--replay", "0"), { stdout: "ignore" });
  const peekMs = performance.now() - t1;
  if (peek.exitCode !== 0) throw new Error(`peek exited ${peek.exitCode}`);
  printRows(`pls doctor over ${retained} messages (whole process)`, [
    { name: "baseline: cursor read of every message, in-process", value: rate(retained, readMs), unit: "msg/s", ratio: 1 },
    { name: "pls peek --tail ALL --jsonl > /dev/null", value: rate(retained, peekMs), unit: "msg/s", ratio: readMs / peekMs },
    { name: "pls doctor", value: rate(retained, doctorMs), unit: "msg/s", ratio: readMs / doctorMs },
    { name: "pls doctor, wall time", value: doctorMs / 1000, unit: "s" },
  ]);
}

/** Private memory (RssAnon) of a process in bytes, from /proc (0 once it has exited). */
function rssAnonBytes(pid: number): number {
  try {
    const m = /RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

const MB = 2 ** 20;

/** Runs `cmd` with stdout into `outPath`; returns its wall time and the highest RssAnon sampled every 5 ms. */
async function runSampled(cmd: string[], outPath: string): Promise<{ ms: number; peakBytes: number }> {
  rmSync(outPath, { force: true }); // Bun.file as stdout does not truncate
  const t0 = performance.now();
  const child = Bun.spawn(cmd, { stdout: Bun.file(outPath), stderr: "pipe" });
  let peakBytes = 0;
  const timer = setInterval(() => (peakBytes = Math.max(peakBytes, rssAnonBytes(child.pid))), 5);
  const code = await child.exited;
  clearInterval(timer);
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited ${code}: ${await new Response(child.stderr).text()}`);
  return { ms: performance.now() - t0, peakBytes };
}

const lineCount = (file: string) => {
  const r = Bun.spawnSync(["wc", "-l", file]);
  return Number(r.stdout.toString().trim().split(/\s+/)[0]);
};

if (only.has("tail")) {
  // peek --tail N --jsonl > file: whole-process rate and peak private memory, unfiltered and filtered. Baselines
  // from this run: the engine reading the same newest N messages in this process (no output, no start-up) for
  // the rate, and the runtime's own floor (`bun -e` holding a 1 MB string) for memory. The rate target (>= 1M/s)
  // is the unfiltered one; filtered reads scan more than they print and share only the memory bound.
  const outFile = join(benchDir, "tail.jsonl");
  const base = await runSampled([bun, "-e", "const s = 'x'.repeat(1 << 20); await Bun.sleep(300); console.log(s.length)"], outFile);
  const small = Math.min(1_000_000, retained);
  const all = Math.min(8_000_000, retained);
  const engineRate = (n: number) => {
    // as the follow engine reads: batches of runs into reused payload blocks
    let best = 0;
    for (let round = 0; round < 3; round++) {
      const cursor = new Cursor(pool, { last: n }).sharePayloadBlocks(true);
      const batch: StoredMessage[] = [];
      const t0 = performance.now();
      let read = 0;
      for (;;) {
        cursor.releasePayloads();
        batch.length = 0;
        if (!cursor.nextBatch(batch, 4096) && batch.length === 0) break;
        read += batch.length;
      }
      best = Math.max(best, rate(read, performance.now() - t0));
    }
    return best;
  };
  const engineSmall = engineRate(small);
  const rows: Row[] = [
    { name: `baseline: engine reads the newest ${small} in-process`, value: engineSmall, unit: "msg/s", ratio: 1 },
    { name: "baseline: `bun -e` process, RssAnon", value: base.peakBytes / MB, unit: "MB", ratio: 1 },
  ];
  const cases: Array<[string, string[]]> = [
    [`--tail ${small}`, ["--tail", String(small)]],
    [`--tail ${all}`, ["--tail", String(all)]],
    [`--tag t1 --tail ${small}`, ["--tag", "t1", "--tail", String(small)]],
    [`--where '.data.k == 1' --tail ${small}`, ["--where", ".data.k == 1", "--tail", String(small)]],
  ];
  for (const [name, extra] of cases) {
    // --replay 0: the history at full speed, then exit (a plain --tail would go on following)
    const r = await runSampled(pls("peek", path, "--jsonl", "--replay", "0", ...extra), outFile);
    const lines = lineCount(outFile);
    const filtered = extra.includes("--tag") || extra.includes("--where");
    const speed = rate(lines, r.ms);
    rows.push({ name: `peek ${name}: ${lines} lines`, value: speed, unit: "msg/s", ratio: speed / engineSmall, ...(filtered ? {} : { target: ">= 1M/s", ok: speed >= 1e6 }) });
    rows.push({ name: `peek ${name}: peak RssAnon`, value: r.peakBytes / MB, unit: "MB", ratio: r.peakBytes / base.peakBytes, target: "<= 48 MB", ok: r.peakBytes <= 48 * MB });
  }
  printRows("peek --tail N --jsonl > file (whole process; rate ratio = peek / the engine's in-process read)", rows);
}

if (only.has("follow")) {
  // a live follower while this process appends: RssAnon after the first 100k messages and at the end
  const total = quick ? 2_000_000 : 10_000_000;
  rmSync(join(benchDir, "follow.jsonl"), { force: true });
  const child = Bun.spawn(pls("peek", path, "--jsonl"), { stdout: Bun.file(join(benchDir, "follow.jsonl")), stderr: "ignore" });
  await Bun.sleep(1500); // started and waiting at the live edge
  const batch = Array.from({ length: 4096 }, (_, i) => shapes[i % 4]);
  let appended = 0;
  let after100k = 0;
  let peak = 0;
  const t0 = performance.now();
  while (appended < total) {
    pool.appendPayloads(batch);
    appended += batch.length;
    if (appended % (batch.length * 16) === 0) await Bun.sleep(1); // let the follower keep up a little
    const now = rssAnonBytes(child.pid);
    if (appended >= 100_000 && after100k === 0) after100k = now;
    peak = Math.max(peak, now);
  }
  const target = pool.state().newestSeq;
  const followed = join(benchDir, "follow.jsonl");
  while (performance.now() - t0 < 600_000) {
    const lines = lineCount(followed);
    peak = Math.max(peak, rssAnonBytes(child.pid));
    if (lines >= total) break;
    await Bun.sleep(200);
  }
  const end = rssAnonBytes(child.pid);
  child.kill();
  printRows(`live follower (peek --jsonl) while ${total} messages are appended, newest seq ${target}`, [
    { name: "RssAnon after the first 100k", value: after100k / MB, unit: "MB", ratio: 1 },
    { name: "RssAnon at the end", value: end / MB, unit: "MB", ratio: end / after100k },
    { name: "peak growth over the first 100k", value: (peak - after100k) / MB, unit: "MB", target: "<= 16 MB", ok: peak - after100k <= 16 * MB },
  ]);
}

if (only.has("http")) {
  // The same lookups and starts over HTTP (#14 part 4): GET messages/SEQ and tail?since_time_ms=T&max=1 for the
  // oldest, middle and newest message (medians of interleaved requests; within 1.5x of each other), then
  // tail?last=N read to the end: its rate and the server's private memory against its value when idle.
  const ready = join(benchDir, "http-ready");
  rmSync(ready, { force: true });
  const server = Bun.spawn(pls("--dir", benchDir, "serve", "--bind", "127.0.0.1:0"), { env: { ...process.env, PLASMITE_SERVE_READY_FILE: ready }, stdout: "ignore", stderr: "ignore" });
  while (!(await Bun.file(ready).exists())) await Bun.sleep(20);
  const base = `http://${(await Bun.file(ready).text()).trim()}/v0/pools/big`;
  const mid = Math.floor((s.oldestSeq + s.newestSeq) / 2);
  const seqs = [s.oldestSeq, mid, s.newestSeq];
  const timeMs = (seq: number) => Number(pool.get(seq).timeNs / 1_000_000n);
  const fetchText = async (url: string) => {
    const res = await fetch(url);
    const text = await res.text();
    if (res.status !== 200 || text.length === 0) throw new Error(`${url}: ${res.status} ${text.slice(0, 200)}`);
    return text;
  };
  const medians = async (urls: string[]) => {
    const times: number[][] = urls.map(() => []);
    for (let round = 0; round < (quick ? 11 : 31); round++) {
      for (let i = 0; i < urls.length; i++) {
        const t0 = performance.now();
        await fetchText(urls[i]!);
        times[i]!.push(performance.now() - t0);
      }
    }
    return times.map((t) => t.sort((a, b) => a - b)[t.length >> 1]!);
  };
  const getMs = await medians(seqs.map((q) => `${base}/messages/${q}`));
  // since the first millisecond of each message's time: the stream's first line is that message or one in the same ms
  const sinceMs = await medians(seqs.map((q) => `${base}/tail?since_time_ms=${timeMs(q)}&max=1&timeout_ms=5000`));
  const idle = rssAnonBytes(server.pid);
  const last = quick ? 300_000 : 1_000_000;
  let peak = idle;
  const sampler = setInterval(() => (peak = Math.max(peak, rssAnonBytes(server.pid))), 5);
  const t0 = performance.now();
  const res = await fetch(`${base}/tail?last=${last}&max=${last}&timeout_ms=30000`); // the server's default limit
  if (res.status !== 200) throw new Error(`tail?last=${last}: ${res.status} ${await res.text()}`);
  let lines = 0;
  // newlines counted by indexOf (native), so the rate is the server's and not this loop's
  for await (const chunk of res.body!) for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) lines++;
  const lastMs = performance.now() - t0;
  clearInterval(sampler);
  server.kill();
  await server.exited;
  if (lines !== last) throw new Error(`tail?last=${last} sent ${lines} lines`);
  const spread = (v: number[]) => Math.max(...v) / Math.min(...v);
  printRows(`HTTP on the same pool (pls serve, one client, medians of ${quick ? 11 : 31} interleaved requests)`, [
    { name: `GET messages/oldest (${s.oldestSeq})`, value: getMs[0]!, unit: "ms", ratio: 1 },
    { name: `GET messages/middle (${mid})`, value: getMs[1]!, unit: "ms", ratio: getMs[1]! / getMs[0]! },
    { name: `GET messages/newest (${s.newestSeq})`, value: getMs[2]!, unit: "ms", ratio: getMs[2]! / getMs[0]! },
    { name: "slowest / fastest of the three", value: spread(getMs), unit: "x", target: "<= 1.5x", ok: spread(getMs) <= 1.5 },
    { name: "tail?since_time_ms (oldest time) first line", value: sinceMs[0]!, unit: "ms", ratio: 1 },
    { name: "tail?since_time_ms (middle time) first line", value: sinceMs[1]!, unit: "ms", ratio: sinceMs[1]! / sinceMs[0]! },
    { name: "tail?since_time_ms (newest time) first line", value: sinceMs[2]!, unit: "ms", ratio: sinceMs[2]! / sinceMs[0]! },
    { name: "slowest / fastest of the three", value: spread(sinceMs), unit: "x", target: "<= 1.5x", ok: spread(sinceMs) <= 1.5 },
    { name: `tail?last=${last} to the end`, value: rate(last, lastMs), unit: "msg/s" },
    { name: "server RssAnon when idle", value: idle / MB, unit: "MB", ratio: 1 },
    { name: `server RssAnon peak during tail?last=${last}`, value: peak / MB, unit: "MB", ratio: peak / idle, target: "<= 1.5x", ok: peak <= 1.5 * idle },
  ]);
}

if (only.has("serve")) {
  // `pls serve` with 16 JSONL tail clients (another process) while this process appends: the server's RssAnon
  // after the first 100k messages (the baseline) against its peak and its value at the end
  const total = Number(argAfter("--serve-messages") ?? (quick ? 400_000 : 10_000_000));
  const CLIENTS = 16;
  const ready = join(benchDir, "serve-ready");
  rmSync(ready, { force: true });
  const server = Bun.spawn(pls("--dir", benchDir, "serve", "--bind", "127.0.0.1:0", "--max-tail-timeout-ms", "86400000"), { env: { ...process.env, PLASMITE_SERVE_READY_FILE: ready }, stdout: "ignore", stderr: "ignore" });
  while (!(await Bun.file(ready).exists())) await Bun.sleep(20);
  // one stream each for the whole run (the server's default ends a stream after 30 s)
  const url = `http://${(await Bun.file(ready).text()).trim()}/v0/pools/big/tail?max=${total}&timeout_ms=86400000`;
  // each client counts the lines it receives; the process prints the smallest count when all streams end
  const clientCode = `const url = process.argv[1], n = Number(process.argv[2]);
    const counts = await Promise.all(Array.from({ length: n }, async () => {
      const res = await fetch(url); let lines = 0;
      for await (const chunk of res.body) for (const b of chunk) if (b === 10) lines++;
      return lines;
    }));
    console.log(Math.min(...counts));`;
  const clients = Bun.spawn([bun, "-e", clientCode, url, String(CLIENTS)], { stdout: "pipe", stderr: "inherit" });
  await Bun.sleep(1500); // every stream open and waiting at the live edge
  const batch = Array.from({ length: 4096 }, (_, i) => shapes[i % 4]);
  let appended = 0;
  let after100k = 0;
  let peak = 0;
  const sample = () => {
    const now = rssAnonBytes(server.pid);
    if (appended >= 100_000 && after100k === 0) after100k = now;
    peak = Math.max(peak, now);
  };
  const sampler = setInterval(sample, 50);
  while (appended < total) {
    pool.appendPayloads(batch.slice(0, Math.min(batch.length, total - appended)));
    appended += Math.min(batch.length, total - appended);
    sample();
    await Bun.sleep(appended % (batch.length * 4) === 0 ? 5 : 0); // the clients keep up (no lapped readers)
  }
  const least = Number((await new Response(clients.stdout).text()).trim());
  if (least !== total) throw new Error(`a tail client got ${least} of ${total} messages`);
  clearInterval(sampler);
  const end = rssAnonBytes(server.pid);
  server.kill();
  await server.exited;
  printRows(`pls serve, ${CLIENTS} JSONL tail clients while ${total} messages are appended (each client got >= ${least})`, [
    { name: "server RssAnon after the first 100k", value: after100k / MB, unit: "MB", ratio: 1 },
    { name: "server RssAnon, peak", value: peak / MB, unit: "MB", ratio: peak / after100k, target: "<= 1.5x", ok: peak <= 1.5 * after100k },
    { name: "server RssAnon at the end", value: end / MB, unit: "MB", ratio: end / after100k },
  ]);
}

pool.close();
