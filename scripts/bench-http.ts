// HTTP benchmarks with same-run baselines: append requests/s against a raw Bun.serve JSON handler, one JSONL
// tail client's messages/s, and 64 concurrent followers each receiving every message.
// Usage: bun scripts/bench-http.ts [--quick]. Server and load run in separate processes (2-core machines).
import { join } from "node:path";
import { Client } from "../src/api/client.ts";
import { benchDir, printRows } from "./bench-lib.ts";

const quick = process.argv.includes("--quick");
const SECONDS = quick ? 3 : 8;
const CONNECTIONS = 32;
const MAIN = join(import.meta.dir, "..", "src", "cli", "main.ts");

// --- load generator mode: N concurrent keep-alive POST loops for S seconds; prints completed requests
if (process.argv[2] === "--load") {
  const [url, seconds, conns] = [process.argv[3], Number(process.argv[4]), Number(process.argv[5])];
  const body = JSON.stringify({ data: { from: "bench", msg: "hello world", n: 1 }, tags: ["bench"] });
  const until = performance.now() + seconds * 1000;
  let ok = 0;
  let bad = 0;
  await Promise.all(
    Array.from({ length: conns }, async () => {
      while (performance.now() < until) {
        const r = await fetch(url, { method: "POST", body, headers: { "content-type": "application/json" } });
        await r.arrayBuffer();
        if (r.ok) ok++;
        else bad++;
      }
    }),
  );
  console.log(JSON.stringify({ ok, bad }));
  process.exit(0);
}

// --- raw baseline server mode
if (process.argv[2] === "--raw") {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const body = (await req.json()) as { data: unknown };
      return Response.json({ message: { seq: 1, data: body.data } });
    },
  });
  console.log(`http://127.0.0.1:${server.port}`);
  await new Promise(() => {});
}

async function startProcess(cmd: string[], env: Record<string, string> = {}): Promise<{ url: string; proc: ReturnType<typeof Bun.spawn> }> {
  const ready = join(benchDir, `ready-${Math.random().toString(36).slice(2)}`);
  const proc = Bun.spawn(cmd, { env: { ...process.env, PLASMITE_SERVE_READY_FILE: ready, ...env }, stdout: "pipe", stderr: "inherit" });
  if (cmd.includes("--raw")) {
    const reader = proc.stdout.getReader();
    const { value } = await reader.read();
    return { url: new TextDecoder().decode(value).trim(), proc };
  }
  while (!(await Bun.file(ready).exists())) await Bun.sleep(20);
  return { url: `http://${(await Bun.file(ready).text()).trim()}`, proc }; // the file holds the bound IP:PORT
}

async function load(url: string, seconds: number): Promise<{ ok: number; bad: number }> {
  const out = Bun.spawnSync([process.execPath, import.meta.path, "--load", url, String(seconds), String(CONNECTIONS)]);
  return JSON.parse(out.stdout.toString());
}

/**
 * Both servers under load in alternating slices (raw, pls, raw, pls, …), so they share the machine's drifting
 * speed: one long run of each measured 0.60–0.69x for the same code.
 */
async function alternate(urls: [string, string], seconds: number, slices: number): Promise<Array<{ rps: number; bad: number }>> {
  const totals = urls.map(() => ({ ok: 0, bad: 0 }));
  for (let i = 0; i < slices; i++) {
    for (let k = 0; k < urls.length; k++) {
      const r = await load(urls[k], seconds / slices);
      totals[k].ok += r.ok;
      totals[k].bad += r.bad;
    }
  }
  return totals.map((t) => ({ rps: t.ok / seconds, bad: t.bad }));
}

const dir = join(benchDir, "pools");
const client = new Client(dir);
client.createPool("bench", { sizeBytes: 64 * 1024 * 1024 }).close();

const raw = await startProcess([process.execPath, import.meta.path, "--raw"]);
const pls = await startProcess([process.execPath, MAIN, "--dir", dir, "serve", "--bind", "127.0.0.1:0"]);
const [rawLoad, plsLoad] = await alternate([`${raw.url}/`, `${pls.url}/v0/pools/bench/append`], SECONDS, 4);
raw.proc.kill();

// --- one tail client over a pool of TAIL_MESSAGES messages
const TAIL_MESSAGES = quick ? 100_000 : 300_000;
const tailPool = client.createPool("tail", { sizeBytes: 256 * 1024 * 1024 });
for (let i = 0; i < TAIL_MESSAGES; i += 1000) tailPool.appendBatch(Array.from({ length: 1000 }, (_, k) => ({ data: { i: i + k, msg: "hello world" }, tags: ["bench"] })));
const t0 = performance.now();
const res = await fetch(`${pls.url}/v0/pools/tail/tail?since_seq=1&max=${TAIL_MESSAGES}`);
let count = 0;
for await (const chunk of res.body!) for (const b of chunk) if (b === 10) count++;
const tailMs = performance.now() - t0;
if (count !== TAIL_MESSAGES) throw new Error(`tail client got ${count} of ${TAIL_MESSAGES}`);

// --- 64 followers, each must get every one of FANOUT messages
const FANOUT = quick ? 500 : 2000;
const FOLLOWERS = 64;
const fan = client.createPool("fan", { sizeBytes: 16 * 1024 * 1024 });
const followers = Array.from({ length: FOLLOWERS }, async () => {
  const r = await fetch(`${pls.url}/v0/pools/fan/tail?since_seq=1&max=${FANOUT}&timeout_ms=30000`);
  let lines = 0;
  for await (const chunk of r.body!) for (const b of chunk) if (b === 10) lines++;
  return lines;
});
const f0 = performance.now();
for (let i = 0; i < FANOUT; i++) {
  fan.append({ i });
  if (i % 50 === 0) await Bun.sleep(1);
}
const received = await Promise.all(followers);
const fanMs = performance.now() - f0;
pls.proc.kill("SIGTERM");
await pls.proc.exited;

printRows(`HTTP append, ${CONNECTIONS} connections, ${SECONDS}s each in 4 alternating slices (load generator in its own process)`, [
  { name: "baseline: raw Bun.serve JSON handler", value: rawLoad.rps, unit: "ops/s", ratio: 1 },
  { name: "pls serve POST /v0/pools/:pool/append", value: plsLoad.rps, unit: "ops/s", ratio: plsLoad.rps / rawLoad.rps, target: ">= 0.6x", ok: plsLoad.rps / rawLoad.rps >= 0.6 },
]);
printRows("tail streams", [
  { name: `one JSONL tail client, ${TAIL_MESSAGES} messages`, value: (TAIL_MESSAGES / tailMs) * 1000, unit: "msg/s", target: ">= 200k msg/s", ok: (TAIL_MESSAGES / tailMs) * 1000 >= 200_000 },
  { name: `${FOLLOWERS} followers x ${FANOUT} messages (all received: ${received.every((c) => c === FANOUT)})`, value: ((FOLLOWERS * FANOUT) / fanMs) * 1000, unit: "msg/s", target: "every follower gets every message", ok: received.every((c) => c === FANOUT) },
]);
if (plsLoad.bad || rawLoad.bad) console.log(`non-2xx responses: pls ${plsLoad.bad}, raw ${rawLoad.bad}`);
