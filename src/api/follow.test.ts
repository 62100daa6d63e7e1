// The follow engine against a plain scan: random pools (several laps), random starts, random filters (tags and
// --where), one/max/historyOnly; then the live part (messages appended while it waits), the timeout, the gap
// policy, a damaged frame and a deleted pool. Every reader (peek, the server's tails, MCP waits, tail()) is built
// on this one engine, so these rules hold for all of them.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, type PoolHandle } from "./client.ts";
import { followPool, type FollowEvent, type FollowOptions } from "./follow.ts";
import { compileWhere } from "../filter/where.ts";
import { Cursor, type CursorStart } from "../pool/cursor.ts";
import { FIRST_FILTERED_BATCH } from "../pool/history.ts";
import { Pool } from "../pool/pool.ts";

const dir = mkdtempSync(join(tmpdir(), "plasmite-follow-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const client = new Client(dir);
let n = 0;

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

interface Row {
  seq: number;
  timeNs: bigint;
  tags: string[];
  k: number;
}

const utf8 = new TextDecoder();

/**
 * Runs the engine to its end; the seqs it delivered (by phase) and how it ended. With `kOf`, each payload is read
 * as it is delivered (a consumer with reusePayloads may not look later) and its data.k checked against the scan.
 */
async function run(pool: PoolHandle, o: FollowOptions, onIdle?: () => void, kOf?: Map<number, number>) {
  const history: number[] = [];
  const live: number[] = [];
  const wrongPayloads: number[] = [];
  let end = "";
  for await (const e of pool.follow(o) as AsyncGenerator<FollowEvent>) {
    if (e.kind === "batch") {
      for (const m of e.messages) {
        (e.history ? history : live).push(m.seq);
        if (kOf && JSON.parse(utf8.decode(m.payload)).data.k !== kOf.get(m.seq)) wrongPayloads.push(m.seq);
      }
    } else if (e.kind === "idle") onIdle?.();
    else end = e.reason;
  }
  return { history, live, end, ...(kOf ? { wrongPayloads } : {}) };
}

describe("the engine equals a plain scan", () => {
  test("random pools, starts, filters and stop rules", async () => {
    for (let round = 0; round < 40; round++) {
      const r = rng(1000 + round);
      const pool = client.createPool(`p${n++}`, { sizeBytes: 64 * 1024 + Math.floor(r() * 3) * 64 * 1024 });
      const count = 50 + Math.floor(r() * 3000);
      for (let i = 0; i < count; i += 100) {
        const batch = [];
        for (let j = i; j < Math.min(count, i + 100); j++) batch.push({ data: { k: Math.floor(r() * 5), pad: "x".repeat(Math.floor(r() * 200)) }, tags: r() < 0.3 ? ["t"] : [] });
        pool.appendBatch(batch);
      }
      // every retained message, by a plain scan
      const info = pool.info();
      const rows: Row[] = [];
      for (let seq = info.bounds.oldest!; seq <= info.bounds.newest!; seq++) {
        const m = pool.get(seq);
        rows.push({ seq, timeNs: BigInt(new Date(m.time).getTime()) * 1_000_000n, tags: m.meta.tags, k: (m.data as { k: number }).k });
      }
      const useTags = r() < 0.4;
      const useWhere = r() < 0.4;
      const matches = (row: Row) => (!useTags || row.tags.includes("t")) && (!useWhere || row.k === 2);
      const shape = Math.floor(r() * 5);
      const pick = rows[Math.floor(r() * rows.length)];
      const lastN = Math.floor(r() * 40);
      const start: CursorStart = shape === 0 ? { oldest: true } : shape === 1 ? { seq: pick.seq } : shape === 2 ? { timeNs: pick.timeNs } : shape === 3 ? { last: lastN } : { newest: true };
      let expected = rows.filter((row) => (shape === 0 ? true : shape === 1 ? row.seq >= pick.seq : shape === 2 ? row.timeNs >= pick.timeNs : shape === 4 ? false : true)).filter(matches);
      if (shape === 3) expected = lastN === 0 ? [] : expected.slice(-lastN);
      const stop = Math.floor(r() * 3); // 0 none, 1 one, 2 max
      const max = 1 + Math.floor(r() * 20);
      const o: FollowOptions = {
        start,
        tags: useTags ? ["t"] : [],
        where: useWhere ? await compileWhere([".data.k == 2"]) : null,
        one: stop === 1,
        max: stop === 2 ? max : undefined,
        idleTimeoutMs: 30,
        reusePayloads: r() < 0.5, // payloads read in runs into reused blocks: each must be right when delivered
      };
      const got = await run(pool, o, undefined, new Map(rows.map((row) => [row.seq, row.k])));
      let want: number[] = expected.map((row) => row.seq);
      let wantEnd = "timeout";
      if (stop === 1) {
        // the first match; with a last-N start the newest match once N exist (history counting)
        const needed = shape === 3 ? Math.max(1, lastN) : 1;
        if (shape === 3 ? want.length >= needed : want.length > 0) {
          want = shape === 3 ? [want[want.length - 1]] : [want[0]];
          wantEnd = "one";
        } else want = [];
      } else if (stop === 2 && want.length >= max) {
        want = want.slice(0, max);
        wantEnd = "max";
      }
      expect({ round, seqs: got.history, live: got.live, end: got.end, wrong: got.wrongPayloads }).toEqual({ round, seqs: want, live: [], end: wantEnd, wrong: [] });
      pool.close();
    }
  }, 60_000);
});

describe("payload blocks", () => {
  test("with reusePayloads every payload is right when its batch is delivered, and the blocks are reused after it", async () => {
    const pool = client.createPool(`p${n++}`, { sizeBytes: 4 * 1024 * 1024 });
    const count = 20_000; // five batches of history, runs across wraps of the arena's blocks
    for (let i = 0; i < count; i += 1000) pool.appendBatch(Array.from({ length: 1000 }, (_, j) => ({ data: { k: i + j, pad: "z".repeat((i + j) % 97) } })));
    const kOf = new Map(Array.from({ length: count }, (_, i) => [i + 1, i] as [number, number]));
    const got = await run(pool, { start: { oldest: true }, historyOnly: true, reusePayloads: true }, undefined, kOf);
    expect(got.history.length).toBe(count);
    expect(got.wrongPayloads).toEqual([]);
    // the first batch's payload views, looked at after later batches were read: overwritten (the blocks are reused)
    let first: Uint8Array | null = null;
    let firstText = "";
    for await (const e of pool.follow({ start: { oldest: true }, historyOnly: true, reusePayloads: true })) {
      if (e.kind !== "batch" || e.messages.length === 0) continue;
      if (first === null) {
        first = e.messages[0].payload;
        firstText = utf8.decode(first);
      }
    }
    expect(JSON.parse(firstText).data.k).toBe(0);
    expect(utf8.decode(first!)).not.toBe(firstText);
    // without it, a kept payload stays as it was
    let kept: Uint8Array | null = null;
    for await (const e of pool.follow({ start: { oldest: true }, historyOnly: true })) if (e.kind === "batch" && kept === null) kept = e.messages[0].payload;
    expect(JSON.parse(utf8.decode(kept!)).data.k).toBe(0);
    pool.close();
  });
});

describe("reading stops where the stop rules do", () => {
  // How far the engine's cursor got: a one-message tail read a whole batch of 4,096 before (2-8 ms on any pool).
  async function reach(pool: Pool, o: FollowOptions, onIdle?: () => void) {
    let cursor: Cursor | null = null;
    const seqs: number[] = [];
    for await (const e of followPool(pool, (start) => (cursor = new Cursor(pool, start)), o)) {
      if (e.kind === "batch") seqs.push(...e.messages.map((m) => m.seq));
      else if (e.kind === "idle") onIdle?.();
    }
    return { seqs, nextSeq: (cursor as Cursor | null)!.nextSeq };
  }
  const enc = new TextEncoder();
  const message = (i: number) => enc.encode(JSON.stringify({ meta: { tags: i === 30 ? ["t"] : [] }, data: { i } }));

  test("history and live, unfiltered and filtered", async () => {
    const pool = Pool.create(join(dir, `p${n++}.plasmite`), { sizeBytes: 4 * 1024 * 1024 });
    pool.appendPayloads(Array.from({ length: 10_000 }, (_, i) => message(i + 1)));
    expect(await reach(pool, { start: { seq: 100 }, max: 1 })).toEqual({ seqs: [100], nextSeq: 101 });
    expect(await reach(pool, { start: { seq: 100 }, max: 10 })).toEqual({ seqs: Array.from({ length: 10 }, (_, i) => 100 + i), nextSeq: 110 });
    expect(await reach(pool, { start: { oldest: true }, one: true })).toEqual({ seqs: [1], nextSeq: 2 });
    // --one --tail N still needs its whole history (the newest match once N exist)
    expect(await reach(pool, { start: { last: 50 }, one: true })).toEqual({ seqs: [10_000], nextSeq: 10_001 });
    // filtered: the first batch is small (the match is at seq 30), not 4,096
    const filtered = await reach(pool, { start: { oldest: true }, tags: ["t"], max: 1 });
    expect(filtered.seqs).toEqual([30]);
    expect(filtered.nextSeq).toBe(1 + FIRST_FILTERED_BATCH);
    // live: 100 messages arrive at once while it waits; it reads one
    let appended = false;
    const live = await reach(pool, { start: { newest: true }, max: 1, idleTimeoutMs: 5000 }, () => {
      if (!appended) pool.appendPayloads(Array.from({ length: 100 }, (_, i) => message(20_000 + i)));
      appended = true;
    });
    expect(live).toEqual({ seqs: [10_001], nextSeq: 10_002 });
    pool.close();
  });
});

describe("live", () => {
  test("messages appended while it waits are delivered, filtered, in order; --one --tail N counts history", async () => {
    const pool = client.createPool(`p${n++}`);
    for (let i = 0; i < 3; i++) pool.append({ i }, { tags: ["t"] });
    let appended = false;
    const append = () => {
      if (appended) return;
      appended = true;
      for (let i = 3; i < 8; i++) pool.append({ i }, { tags: i % 2 ? ["t"] : [] });
    };
    const all = await run(pool, { start: { last: 2 }, tags: ["t"], idleTimeoutMs: 100 }, append);
    expect(all).toEqual({ history: [2, 3], live: [4, 6, 8], end: "timeout" });
    // five matches needed: three in history, so the second live match (seq 6 of the ones tagged) is picked
    appended = false;
    const pool2 = client.createPool(`p${n++}`);
    for (let i = 0; i < 3; i++) pool2.append({ i }, { tags: ["t"] });
    const one = await run(pool2, { start: { last: 5 }, tags: ["t"], one: true, idleTimeoutMs: 2000 }, () => {
      if (appended) return;
      appended = true;
      for (let i = 3; i < 8; i++) pool2.append({ i }, { tags: i % 2 ? ["t"] : [] });
    });
    expect(one).toEqual({ history: [], live: [6], end: "one" });
    pool.close();
    pool2.close();
  });

  test("an abort signal ends a waiting follower at once", async () => {
    const pool = client.createPool(`p${n++}`);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const t0 = performance.now();
    expect((await run(pool, { start: { newest: true }, signal: ac.signal })).end).toBe("aborted");
    expect(performance.now() - t0).toBeLessThan(5000);
    pool.close();
  });
});

describe("gaps, damage, deletion", () => {
  test("gap policy error: what came before the gap is delivered, then RetentionGap; continue reports it", async () => {
    const pool = client.createPool(`p${n++}`, { sizeBytes: 64 * 1024 });
    pool.append({ i: 0 });
    const drops: number[] = [];
    const events = pool.follow({ start: { oldest: true }, gapPolicy: "error", idleTimeoutMs: 5000 });
    const first = await events.next();
    expect(first.value).toMatchObject({ kind: "batch", messages: [{ seq: 1 }] });
    for (let i = 0; i < 2000; i++) pool.append({ i, pad: "y".repeat(100) }); // laps the ring past seq 2
    await expect(events.next()).rejects.toMatchObject({ kind: "RetentionGap", seq: 2 });
    const cont = await run(pool, { start: { seq: 1 }, onDrop: (d) => drops.push(d.fromSeq, d.toSeq), idleTimeoutMs: 10 });
    expect(drops[0]).toBe(1);
    expect(cont.history[0]).toBe(drops[1] + 1);
    pool.close();
  });

  test("a damaged frame: the messages before it, then Corrupt", async () => {
    const pool = client.createPool(`p${n++}`, { sizeBytes: 65536, indexCapacity: 0 });
    for (let i = 1; i <= 5; i++) pool.append({ i, pad: "y".repeat(40) });
    const bytes = pool["pool"].ring.bytes; // the engine, through the private field: this test damages bytes
    const at = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).indexOf('{"i":3,');
    bytes[at + 5] = "9".charCodeAt(0);
    const seqs: number[] = [];
    let error: unknown = null;
    try {
      for await (const e of pool.follow({ start: { oldest: true }, idleTimeoutMs: 10 })) if (e.kind === "batch") seqs.push(...e.messages.map((m) => m.seq));
    } catch (err) {
      error = err;
    }
    expect(seqs).toEqual([1, 2]);
    expect(error).toMatchObject({ kind: "Corrupt", seq: 3 });
    pool.close();
  });

  test("a pool file deleted while it waits ends it with NotFound", async () => {
    const pool = client.createPool(`p${n++}`);
    setTimeout(() => client.deletePool(pool.name), 50);
    await expect(run(pool, { start: { newest: true }, unlinkedHint: "Open it again." })).rejects.toMatchObject({ kind: "NotFound", hint: "Open it again." });
    pool.close();
  });
});
