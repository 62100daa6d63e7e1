// Pool engine benchmarks (issue: append, appendBatch, cursor read, indexed get), each printed as a ratio
// against a baseline measured in this same run. Usage: bun scripts/bench-engine.ts [--quick]
import { join } from "node:path";
import { Client } from "../src/api/client.ts";
import { toMessage } from "../src/wire/index.ts";
import { encodePayload } from "../src/format/payload.ts";
import { Cursor } from "../src/pool/cursor.ts";
import { Pool } from "../src/pool/pool.ts";
import { benchDir, bestNsPerOp, buildBaseline, printRows, type Row } from "./bench-lib.ts";

const quick = process.argv.includes("--quick");
const N = quick ? 50_000 : 200_000;
const ROUNDS = quick ? 2 : 3;
const data = { i: 123456, from: "bench", msg: "hello world, this is a benchmark message" };
const payload = encodePayload(data, ["bench"]);
const baseline = buildBaseline();
const client = new Client(join(benchDir, "pools"));

// Baselines (C): per-message lock, and one lock per 1000 messages.
const cPerMsg = Math.min(...Array.from({ length: ROUNDS }, () => baseline(N, payload.length, 1)));
const cBatch = Math.min(...Array.from({ length: ROUNDS }, () => baseline(N * 5, payload.length, 1000)));

const pool = client.createPool("append", { sizeBytes: 16 * 1024 * 1024 });
// the engine under the handle (one mapping per file per process): what the `pre` rows and the reads measure
const engine = Pool.open(pool.path);
// Warm up: one full lap so every page is faulted in (the C baseline pre-faults its mapping too).
const lap = Math.ceil(engine.geometry.ringSize / (payload.length + 32)) + 10;
engine.appendPayloads(Array.from({ length: lap }, () => payload));

const appendPre = bestNsPerOp(N, ROUNDS, (n) => {
  for (let i = 0; i < n; i++) engine.appendPayload(payload);
});
const appendApi = bestNsPerOp(N, ROUNDS, (n) => {
  for (let i = 0; i < n; i++) pool.append(data, { tags: ["bench"] });
});
const batch = Array.from({ length: 1000 }, () => ({ data, tags: ["bench"] }));
const appendBatch = bestNsPerOp(N * 5, ROUNDS, (n) => {
  for (let i = 0; i < n; i += 1000) pool.appendBatch(batch);
});

const preBatch = Array.from({ length: 1000 }, () => payload);
const appendBatchPre = bestNsPerOp(N * 5, ROUNDS, (n) => {
  for (let i = 0; i < n; i += 1000) engine.appendPayloads(preBatch);
});

// Reads: a 16 MiB pool full of these messages.
const s = engine.state();
const retained = s.newestSeq - s.oldestSeq + 1;
const readRaw = bestNsPerOp(retained, ROUNDS, () => {
  const c = new Cursor(engine, { oldest: true });
  while (c.next());
});
const readParsed = bestNsPerOp(retained, ROUNDS, () => {
  const c = new Cursor(engine, { oldest: true });
  for (let it = c.next(); it; it = c.next()) if (it.message) toMessage(it.message);
});
// Read baseline: copy the same bytes out of the mapping with no validation at all.
const bytes = engine.ring.bytes;
const frame = Math.ceil((payload.length + 32) / 8) * 8;
const copyBaseline = bestNsPerOp(retained, ROUNDS, (n) => {
  let off = engine.geometry.ringOffset;
  for (let i = 0; i < n; i++) {
    bytes.slice(off + 32, off + 32 + payload.length);
    off += frame;
    if (off + frame > bytes.length) off = engine.geometry.ringOffset;
  }
});
const cap = engine.geometry.indexCapacity;
const seqs = Array.from({ length: 100_000 }, () => s.newestSeq - Math.floor(Math.random() * Math.min(cap, retained)));
const getNs = bestNsPerOp(seqs.length, ROUNDS, () => {
  for (const q of seqs) engine.get(q);
});
const perSec = (ns: number) => 1e9 / ns;

const rows: Row[] = [
  { name: "C baseline: flock+memcpy+unlock per message", value: perSec(cPerMsg), unit: "msg/s", ratio: 1 },
  { name: "C, one lock per 1000 messages (info)", value: perSec(cBatch), unit: "msg/s", ratio: cPerMsg / cBatch },
  { name: "append (pre-encoded payload, lock per msg)", value: perSec(appendPre), unit: "msg/s", ratio: cPerMsg / appendPre, target: ">= 0.8x", ok: cPerMsg / appendPre >= 0.8 },
  { name: "append (library: JSON encode + lock per msg)", value: perSec(appendApi), unit: "msg/s", ratio: cPerMsg / appendApi, target: ">= 0.8x", ok: cPerMsg / appendApi >= 0.8 },
  { name: "appendBatch (1000 per lock, with encode)", value: perSec(appendBatch), unit: "msg/s", ratio: cPerMsg / appendBatch, target: ">= 4x", ok: cPerMsg / appendBatch >= 4 },
  { name: "appendBatch (1000 pre-encoded per lock)", value: perSec(appendBatchPre), unit: "msg/s", ratio: cPerMsg / appendBatchPre, target: ">= 4x", ok: cPerMsg / appendBatchPre >= 4 },
];
printRows(`append, ${payload.length}-byte payload, ${N} messages, best of ${ROUNDS}`, rows);
printRows(`read, ${retained} retained messages (16 MiB pool); baseline = unvalidated copy of the same bytes`, [
  { name: "baseline: bytes.slice per message", value: perSec(copyBaseline), unit: "msg/s", ratio: 1 },
  { name: "cursor, raw payload bytes", value: perSec(readRaw), unit: "msg/s", ratio: copyBaseline / readRaw, target: ">= 3M/s", ok: perSec(readRaw) >= 3e6 },
  { name: "cursor + parse to Message", value: perSec(readParsed), unit: "msg/s", ratio: copyBaseline / readParsed, target: ">= 700k/s", ok: perSec(readParsed) >= 7e5 },
  { name: "indexed get (random retained seq)", value: perSec(getNs), unit: "ops/s", ratio: copyBaseline / getNs, target: ">= 1.5M/s", ok: perSec(getNs) >= 1.5e6 },
]);
engine.close();
pool.close();
