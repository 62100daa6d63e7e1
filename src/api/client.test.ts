// The library API as Bun users call it: Client, PoolHandle, and tail() as an async iterator.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, PlasmiteError, type Message } from "./index.ts";

const dir = mkdtempSync(join(tmpdir(), "plasmite-api-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const client = new Client(dir);
let n = 0;
const fresh = (sizeBytes?: number) => client.createPool(`p${n++}`, { sizeBytes });

async function collect(it: AsyncIterable<Message>): Promise<number[]> {
  const seqs: number[] = [];
  for await (const m of it) seqs.push(m.seq);
  return seqs;
}

describe("Client", () => {
  test("create, open, list, delete; refs resolve like the CLI", () => {
    const a = client.createPool("alpha");
    expect(a.path).toBe(join(dir, "alpha.plasmite"));
    expect(client.pathOf("x.plasmite")).toBe(join(dir, "x.plasmite"));
    expect(client.pathOf("/abs/p.plasmite")).toBe("/abs/p.plasmite");
    expect(client.listPools().map((p) => p.name)).toContain("alpha");
    expect(() => client.createPool("alpha")).toThrow(PlasmiteError);
    const again = client.openPool("alpha");
    again.append({ x: 1 });
    expect(a.get(1).data).toEqual({ x: 1 });
    a.close();
    again.close();
    client.deletePool("alpha");
    expect(() => client.openPool("alpha")).toThrow("pool not found");
    expect(new Client(join(dir, "nowhere")).listPools()).toEqual([]);
  });

  test("append validates data and tags; appendBatch gives consecutive seqs", () => {
    const p = fresh();
    for (const bad of [[1], "s", null, 3]) expect(() => p.append(bad as never)).toThrow("must be a JSON object");
    expect(() => p.append({}, { tags: [""] })).toThrow("non-empty strings");
    expect(p.appendBatch([{ data: { a: 1 } }, { data: { b: 2 }, tags: ["t"] }])).toBe(1);
    expect(p.get(2)).toMatchObject({ seq: 2, meta: { tags: ["t"] }, data: { b: 2 } });
    expect(p.getJson(1)).toStartWith('{"seq":1,"time":"');
    expect(p.getMany([2, 1, 2])).toEqual([p.get(2), p.get(1), p.get(2)]);
    expect(() => p.getMany([1, 3])).toThrow("message 3 not found");
    p.close();
  });
});

describe("what interfaces use instead of the engine", () => {
  test("seqBounds, getStored, createdNs, maxPayloadBytes, generation", () => {
    const p = fresh(65536);
    expect(p.seqBounds().oldestSeq).toBeGreaterThan(p.seqBounds().newestSeq); // empty
    const gen = p.generation();
    p.append({ x: 1 }, { tags: ["t"] });
    p.append({ x: 2 });
    expect(p.generation()).not.toBe(gen);
    const b = p.seqBounds();
    expect([b.oldestSeq, b.newestSeq]).toEqual([1, 2]);
    const stored = p.getStored(1);
    expect(new TextDecoder().decode(stored.payload)).toBe('{"meta":{"tags":["t"]},"data":{"x":1}}');
    expect(stored.seq).toBe(1);
    expect(() => p.getStored(3)).toThrow("not found");
    expect(p.createdNs).toBeGreaterThan(0n);
    expect(client.openPool(p.name).createdNs).toBe(p.createdNs);
    expect(p.maxPayloadBytes).toBeGreaterThan(1000);
    expect(p.maxPayloadBytes).toBeLessThan(p.info().ring_size);
    expect(p.writable).toBe(true);
    p.close();
  });

  test("appendPayloadTexts stores whole payload texts as given, under one lock", () => {
    const p = fresh(65536);
    const first = p.appendPayloadTexts(['{"meta":{"tags":[]},"data":{"big":12345678901234567890}}', '{"meta":{"tags":["a"]},"data":{}}']);
    expect(first).toBe(1);
    expect(p.getJson(1)).toContain('"data":{"big":12345678901234567890}');
    expect(p.get(2).meta.tags).toEqual(["a"]);
    p.close();
  });

  test("mappingKey is shared by handles on one file; stillLinked ends with a delete; retain outlives close", () => {
    const a = client.createPool("linked");
    const b = client.openPool("linked");
    expect(a.mappingKey).toBe(b.mappingKey);
    const release = a.retain();
    expect(a.stillLinked()).toBe(true);
    client.deletePool("linked");
    expect(a.stillLinked()).toBe(false);
    a.close();
    b.close();
    release();
    release(); // a second release is harmless
    const c = client.createPool("linked");
    expect(c.stillLinked()).toBe(true);
    c.close();
  });
});

describe("tail", () => {
  test("from a seq with max and timeout; last N; sinceTime", async () => {
    const p = fresh();
    for (let i = 0; i < 10; i++) p.append({ i });
    expect(await collect(p.tail({ since: 4, max: 3 }))).toEqual([4, 5, 6]);
    expect(await collect(p.tail({ last: 2, timeout: 50 }))).toEqual([9, 10]);
    const t5 = Date.parse(p.get(5).time);
    const fromTime = await collect(p.tail({ sinceTime: t5, timeout: 50 }));
    expect(fromTime[0]).toBeLessThanOrEqual(5);
    expect(fromTime.at(-1)).toBe(10);
    p.close();
  });

  test("follows live from the live edge and stops on abort, promptly, even when idle", async () => {
    const p = fresh();
    p.append({ old: true });
    const ac = new AbortController();
    const got: Message[] = [];
    const done = (async () => {
      for await (const m of p.tail({ signal: ac.signal })) got.push(m);
    })();
    await Bun.sleep(50);
    p.append({ live: 1 });
    await Bun.sleep(50);
    p.append({ live: 2 });
    await Bun.sleep(100);
    const t0 = performance.now();
    ac.abort();
    await done;
    expect(performance.now() - t0).toBeLessThan(200);
    expect(got.map((m) => m.data)).toEqual([{ live: 1 }, { live: 2 }]);
    p.close();
  });

  test("drops are reported to onDrop (continue) or fail closed with RetentionGap (error)", async () => {
    const p = fresh(8192);
    for (let i = 0; i < 200; i++) p.append({ i, pad: "x".repeat(50) });
    const oldest = p.info().bounds.oldest!;
    const drops: number[] = [];
    const seqs = await collect(p.tail({ since: 1, timeout: 50, onDrop: (d) => drops.push(d.count) }));
    expect(drops).toEqual([oldest - 1]);
    expect(seqs[0]).toBe(oldest);
    try {
      await collect(p.tail({ since: 1, gapPolicy: "error", timeout: 50 }));
      throw new Error("no error");
    } catch (err) {
      expect(err).toBeInstanceOf(PlasmiteError);
      expect((err as PlasmiteError).kind).toBe("RetentionGap");
      expect((err as PlasmiteError).seq).toBe(1);
      expect((err as PlasmiteError).exitCode).toBe(9);
      expect((err as PlasmiteError).message).toBe(`messages 1-${oldest - 1} are no longer retained; the next available message is ${oldest}`);
    }
    expect(() => p.tail({ gapPolicy: "bogus" as never })).toThrow("invalid gap policy");
    p.close();
  });
});

describe("regressions found in review", () => {
  test("a tags array changed between appends is stored as it is at each append", () => {
    const p = fresh();
    const tags = ["a"];
    p.append({ n: 1 }, { tags });
    tags.push("b");
    p.append({ n: 2 }, { tags });
    expect(p.get(1).meta.tags).toEqual(["a"]);
    expect(p.get(2).meta.tags).toEqual(["a", "b"]);
    p.close();
  });

  test("tail start values must be numbers: NaN and invalid dates are Usage errors", () => {
    const p = fresh();
    expect(() => p.tail({ since: NaN })).toThrow("non-negative integer");
    expect(() => p.tail({ last: -1 })).toThrow("non-negative integer");
    expect(() => p.tail({ sinceTime: new Date("invalid") })).toThrow("not a valid time");
    p.close();
  });

  test("stopping a watch leaves the pool's waiter count at zero", async () => {
    const p = fresh();
    for (let i = 0; i < 10; i++) {
      const w = p.watch(() => {});
      await Bun.sleep(20);
      const t0 = performance.now();
      await w.stop();
      // the worker leaves by itself, promptly (a stuck one is terminated after 500 ms)
      expect(performance.now() - t0).toBeLessThan(400);
    }
    // the engine, through the private field: the waiters word is a ring detail no interface may see
    expect(Atomics.load(p["pool"].ring.words, 33)).toBe(0); // waiters word (byte 132)
    p.close();
  });
});
