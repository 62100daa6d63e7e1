// Test process: follows a pool from seq 1 until it has accounted for `total` seqs (read or reported dropped),
// checking order as it goes; prints a JSON summary. argv: path total timeoutMs [batch]
// With `batch`, reads as the follow engine does: nextBatch, frames copied in runs into reused blocks.
import { Cursor, type CursorItem } from "../cursor.ts";
import type { StoredMessage } from "../reader.ts";
import { Pool } from "../pool.ts";
import { decodePayload } from "../../format/payload.ts";

const [path, totalText, timeoutText, mode] = process.argv.slice(2);
const total = Number(totalText);
const deadline = Date.now() + Number(timeoutText);
const pool = Pool.open(path);
const cursor = new Cursor(pool, { seq: 1 });
const batched = mode === "batch";
if (batched) cursor.sharePayloadBlocks(true);
const pending: CursorItem[] = [];
const batch: StoredMessage[] = [];

/** The next item, one at a time or from a batch read through runs (payloads checked below as they come). */
function nextItem(): CursorItem | null {
  if (!batched) return cursor.next();
  if (pending.length === 0) {
    cursor.releasePayloads(); // everything before was checked
    batch.length = 0;
    const drop = cursor.nextBatch(batch, 1 + Math.floor(Math.random() * 300));
    for (const message of batch) pending.push({ message });
    if (drop) pending.push({ drop });
  }
  return pending.shift() ?? null;
}
const lastByWriter: Record<string, number> = {};
let read = 0;
let dropped = 0;
let dropEvents = 0;
let prevSeq = 0;
const problems: string[] = [];
process.stdout.write("ready\n");
while (read + dropped < total && Date.now() < deadline) {
  const item = nextItem();
  if (!item) {
    cursor.waitSync(50);
    continue;
  }
  if (item.drop) {
    if (item.drop.fromSeq !== prevSeq + 1) problems.push(`drop starts at ${item.drop.fromSeq}, expected ${prevSeq + 1}`);
    dropped += item.drop.count;
    dropEvents++;
    prevSeq = item.drop.toSeq;
    continue;
  }
  const m = item.message;
  if (m.seq !== prevSeq + 1) problems.push(`seq ${m.seq} after ${prevSeq}`);
  prevSeq = m.seq;
  const { data } = decodePayload(m.payload);
  const w = String(data.w);
  const last = lastByWriter[w] ?? -1;
  // After a drop a writer's sequence may jump forward, never backward.
  if ((data.i as number) <= last) problems.push(`writer ${w}: ${data.i} after ${last}`);
  lastByWriter[w] = data.i as number;
  read++;
}
console.log(JSON.stringify({ read, dropped, dropEvents, lastSeq: prevSeq, problems: problems.slice(0, 10) }));
