// Fault campaign for `pls bridge` (issue #17), against nats-server processes started here on loopback:
// 1. kills: a writer appends to pool A while `bridge out` (A -> stream) and `bridge in` (stream -> B) run as
//    processes; one of them, at random, is SIGKILLed at a random point and restarted, KILLS times; the
//    nats-server is also SIGKILLed and restarted RESTARTS times. B must hold every seq of A exactly once.
// 2. cluster: a 3-node JetStream cluster, the stream with 3 replicas; the stream leader's node is SIGKILLed
//    mid-stream (and later restarted). B must hold every seq exactly once.
// Prints what happened and exits 1 on any loss or duplicate. Usage: bun scripts/campaign-bridge.ts [--quick]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { Client } from "../src/api/index.ts";
import { eventually, killBridges, startBridge, startNats, startNatsCluster } from "../src/bridge/test-harness.ts";

const quick = process.argv.includes("--quick");
const KILLS = quick ? 12 : 60;
const RESTARTS = quick ? 1 : 3;
const root = mkdtempSync(join(tmpdir(), "plasmite-campaign-bridge-"));
process.on("exit", () => rmSync(root, { recursive: true, force: true }));
let failures = 0;

type Meta = { origin?: { seq: number }; stream?: { seq: number } };

/** Checks that pool `name` in `dir` holds origin seqs 1..n exactly once; reports order changes. */
function verify(label: string, dir: string, name: string, n: number): void {
  const pool = new Client(dir).openPool(name);
  const s = pool.seqBounds();
  const seen = new Map<number, number>();
  let outOfOrder = 0;
  let previous = 0;
  for (let seq = s.oldestSeq; seq <= s.newestSeq; seq++) {
    const m = pool.get(seq);
    const origin = (m.meta as Meta).origin?.seq ?? -1;
    seen.set(origin, (seen.get(origin) ?? 0) + 1);
    if (origin < previous) outOfOrder++;
    previous = origin;
  }
  pool.close();
  let missing = 0;
  let doubled = 0;
  for (let i = 1; i <= n; i++) {
    const c = seen.get(i) ?? 0;
    if (c === 0) missing++;
    if (c > 1) doubled += c - 1;
  }
  const extra = s.newestSeq - s.oldestSeq + 1 - (n - missing) - doubled;
  const ok = missing === 0 && doubled === 0 && extra === 0;
  if (!ok) failures++;
  console.log(`  ${label}: ${n} sent, B holds ${s.newestSeq - s.oldestSeq + 1}; missing ${missing}, doubled ${doubled}, foreign ${extra}; ` +
    `${outOfOrder === 0 ? "all in order" : `${outOfOrder} re-sent after later ones`}: ${ok ? "PASS" : "FAIL"}`);
}

function newest(dir: string, name: string): number {
  try {
    const pool = new Client(dir).openPool(name);
    const n = pool.seqBounds().newestSeq;
    pool.close();
    return n;
  } catch {
    return 0;
  }
}

/** Waits (up to 3 minutes) for B to hold `total` messages; a shortfall is reported by verify, not thrown. */
async function settle(dir: string, name: string, total: number): Promise<void> {
  await eventually(() => newest(dir, name) >= total, 180_000, "B", 200).catch(() => console.log(`  B stopped at ${newest(dir, name)} of ${total}`));
}

/** Appends `total` messages to `pool` in batches until done; returns a promise of completion. */
function writer(dir: string, name: string, total: number, perTick: number, tickMs: number): { written(): number; done: Promise<void> } {
  const pool = new Client(dir).openPool(name);
  let written = 0;
  const done = (async () => {
    while (written < total) {
      const n = Math.min(perTick, total - written);
      pool.appendBatch(Array.from({ length: n }, (_, k) => ({ data: { n: written + k + 1, text: "campaign" } })));
      written += n;
      await Bun.sleep(tickMs);
    }
    pool.close();
  })();
  return { written: () => written, done };
}

// --- 1. SIGKILLs in both directions, and nats-server restarts ----------------------------------------------
{
  console.log(`1. ${KILLS} bridge SIGKILLs (out and in at random), ${RESTARTS} nats-server restarts`);
  const nats = await startNats(join(root, "single"));
  const dirA = join(root, "single-a");
  const dirB = join(root, "single-b");
  new Client(dirA).createPool("ev", { sizeBytes: 64 << 20 }).close();
  new Client(dirB).createPool("ev", { sizeBytes: 128 << 20 }).close();
  const total = KILLS * 2_000;
  const w = writer(dirA, "ev", total, 200, 10);
  const outArgs = ["out", "ev", nats.url, "--stream", "EV"];
  const inArgs = ["in", nats.url, "--stream", "EV", "--into", "ev"];
  let out = startBridge(dirA, outArgs);
  let into = startBridge(dirB, inArgs);
  await eventually(() => newest(dirB, "ev") > 0, 20_000, "the first mirrored message");
  const killed = { out: 0, in: 0 };
  const restartAt = new Set(Array.from({ length: RESTARTS }, (_, i) => Math.floor(((i + 1) * KILLS) / (RESTARTS + 1))));
  const t0 = performance.now();
  for (let k = 0; k < KILLS; k++) {
    await Bun.sleep(200 + Math.random() * 800);
    if (Math.random() < 0.5) {
      out.proc.kill("SIGKILL");
      await out.proc.exited;
      killed.out++;
      out = startBridge(dirA, outArgs);
    } else {
      into.proc.kill("SIGKILL");
      await into.proc.exited;
      killed.in++;
      into = startBridge(dirB, inArgs);
    }
    if (restartAt.has(k)) {
      await nats.kill();
      await Bun.sleep(300 + Math.random() * 700);
      await nats.start();
      console.log(`  nats-server SIGKILLed and restarted after kill ${k + 1} (A had ${w.written()} messages, B ${newest(dirB, "ev")})`);
    }
  }
  await w.done;
  await settle(dirB, "ev", total);
  await Bun.sleep(1_000); // a late duplicate would land by now
  out.proc.kill("SIGTERM");
  into.proc.kill("SIGTERM");
  await Promise.all([out.proc.exited, into.proc.exited]);
  console.log(`  killed: out ${killed.out}, in ${killed.in} (${killed.out + killed.in} SIGKILLs in ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  verify("after the kills", dirB, "ev", total);
  await nats.stop();
}

// --- 2. 3-node cluster, replicas 3, the leader's node killed mid-stream -------------------------------------
{
  console.log("2. 3-node JetStream cluster, stream with 3 replicas, the stream leader's node SIGKILLed mid-stream");
  const cluster = await startNatsCluster(join(root, "cluster"));
  const nc = await connect({ servers: cluster.url.split(",") });
  let jsm: Awaited<ReturnType<typeof jetstreamManager>> | null = null;
  await eventually(async () => {
    try {
      jsm ??= await jetstreamManager(nc);
      await jsm.streams.add({ name: "CL", subjects: ["plasmite.cl"], num_replicas: 3 });
      return true;
    } catch {
      return false; // the cluster is still forming its meta group
    }
  }, 60_000, "the replicated stream", 500);
  const dirA = join(root, "cluster-a");
  const dirB = join(root, "cluster-b");
  new Client(dirA).createPool("cl", { sizeBytes: 64 << 20 }).close();
  new Client(dirB).createPool("cl", { sizeBytes: 128 << 20 }).close();
  const total = quick ? 20_000 : 60_000;
  const w = writer(dirA, "cl", total, 200, 10);
  const out = startBridge(dirA, ["out", "cl", cluster.url, "--stream", "CL"]);
  const into = startBridge(dirB, ["in", cluster.url, "--stream", "CL", "--into", "cl"]);
  await eventually(() => newest(dirB, "cl") > total / 4, 120_000, "a quarter mirrored", 100);
  const leader = (await jsm!.streams.info("CL")).cluster?.leader;
  const victim = cluster.nodes.find((_, i) => `n${i + 1}` === leader) ?? cluster.nodes[0];
  await nc.close();
  await victim.kill();
  console.log(`  killed the leader's node ${leader} at A ${w.written()}, B ${newest(dirB, "cl")}`);
  await Bun.sleep(5_000);
  await victim.start();
  console.log(`  restarted it 5 s later (A ${w.written()}, B ${newest(dirB, "cl")})`);
  await w.done;
  await settle(dirB, "cl", total);
  await Bun.sleep(1_000);
  out.proc.kill("SIGTERM");
  into.proc.kill("SIGTERM");
  await Promise.all([out.proc.exited, into.proc.exited]);
  const notices = ((await out.stderr()) + (await into.stderr())).split("\n").filter((l) => /re-send|restarted consumer|reconnected|failed/.test(l)).length;
  console.log(`  ${notices} recovery notices (reconnects, resyncs, consumer restarts)`);
  verify("after the failover", dirB, "cl", total);
  await cluster.stop();
}

await killBridges();
console.log(failures === 0 ? "campaign: PASS" : `campaign: FAIL (${failures})`);
process.exit(failures === 0 ? 0 : 1);
