// Test process: follows a pool from seq 1 until it has accounted for `total` seqs (read or reported dropped),
// checking order as it goes; prints a JSON summary. argv: path total timeoutMs
import { Cursor } from "../cursor.ts";
import { Pool } from "../pool.ts";
import { decodePayload } from "../../format/payload.ts";

const [path, totalText, timeoutText] = process.argv.slice(2);
const total = Number(totalText);
const deadline = Date.now() + Number(timeoutText);
const pool = Pool.open(path);
const cursor = new Cursor(pool, { seq: 1 });
const lastByWriter: Record<string, number> = {};
let read = 0;
let dropped = 0;
let dropEvents = 0;
let prevSeq = 0;
const problems: string[] = [];
process.stdout.write("ready\n");
while (read + dropped < total && Date.now() < deadline) {
  const item = cursor.next();
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
