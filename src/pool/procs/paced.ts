// Test process: one-message gets, appends and cursor reads (a library user's plain Cursor, no paceCollection) on a
// large pool, printing private memory (RssAnon, kB) before and after each loop as JSON. argv: path gets appends
import { readFileSync } from "node:fs";
import { encodePayload } from "../../format/payload.ts";
import { Cursor } from "../cursor.ts";
import { Pool } from "../pool.ts";

const [path, getsText, appendsText] = process.argv.slice(2);
const rssAnonKb = () => Number(/RssAnon:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? 0);
const pool = Pool.open(path!);
const newest = pool.state().newestSeq;
const start = rssAnonKb();
for (let i = 0; i < Number(getsText); i++) pool.get(1 + ((i * 7919) % newest));
const afterGets = rssAnonKb();
for (let i = 0; i < Number(appendsText); i++) pool.appendPayload(encodePayload({ i }, []));
const afterAppends = rssAnonKb();
const cursor = new Cursor(pool, { oldest: true });
let reads = 0;
for (let item = cursor.next(); item !== null; item = cursor.next()) reads++;
const afterReads = rssAnonKb();
pool.close();
console.log(JSON.stringify({ start, afterGets, afterAppends, afterReads, reads }));
