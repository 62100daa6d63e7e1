// Pool and Cursor behaviour on real files: wrap-around properties, errors, drops, starts, durability.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, linkSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PlasmiteError } from "../errors.ts";
import { frameLength } from "../format/limits.ts";
import { Cursor } from "./cursor.ts";
import { openMappingCount } from "./open-files.ts";
import { doctorPool } from "./doctor.ts";
import { Pool } from "./pool.ts";

const dir = mkdtempSync(join(tmpdir(), "plasmite-pool-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const freshPath = () => join(dir, `p${counter++}.plasmite`);

/** Deterministic PRNG (mulberry32) so a failing case can be replayed from its seed. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function payloadFor(seq: number, size: number): Uint8Array {
  const p = new Uint8Array(size);
  for (let i = 0; i < size; i++) p[i] = (seq * 131 + i * 7) & 0xff;
  return p;
}

/** A string of exactly `bytes` UTF-8 bytes: letters with a two-byte "é" now and then. */
function textFor(seq: number, bytes: number): string {
  let s = "";
  let k = seq;
  for (let left = bytes; left > 0; k = (k * 7 + 3) % 1009) {
    if (left >= 2 && k % 5 === 0) {
      s += "é";
      left -= 2;
    } else {
      s += String.fromCharCode(0x61 + (k % 26));
      left -= 1;
    }
  }
  return s;
}

function kindOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof PlasmiteError) return err.kind;
    throw err;
  }
  return "ok";
}

function readAllFromOldest(pool: Pool, expected = new Map<number, Uint8Array>()): number[] {
  const c = new Cursor(pool, { oldest: true });
  const seqs: number[] = [];
  for (;;) {
    const it = c.next();
    if (!it) return seqs;
    if (it.drop) throw new Error(`unexpected drop ${JSON.stringify(it.drop)}`);
    seqs.push(it.message.seq);
    expect(it.message.payload).toEqual(expected.get(it.message.seq) ?? payloadFor(it.message.seq, it.message.payload.length));
  }
}

describe("wrap-around property", () => {
  test("random message sizes in small pools: get, cursor and last N agree with a model", () => {
    const sequences = Number(process.env.PLASMITE_PROPERTY_SEQUENCES ?? 1500);
    const mappedBefore = openMappingCount(); // other test files share this process
    for (let seed = 1; seed <= sequences; seed++) {
      const r = rng(seed);
      const size = [8192, 8192 + 4096, 16384, 20480][Math.floor(r() * 4)];
      const indexCapacity = r() < 0.3 ? 0 : r() < 0.5 && size > 8192 ? 4 : undefined;
      const path = freshPath();
      const pool = Pool.create(path, { sizeBytes: size, indexCapacity });
      const ringSize = pool.geometry.ringSize;
      const maxPayload = ringSize - 32;
      const sizes = new Map<number, number>();
      const expected = new Map<number, Uint8Array>(); // text payloads, by seq
      const steps = 5 + Math.floor(r() * 40);
      for (let step = 0; step < steps; step++) {
        const shape = r();
        const pick = () =>
          shape < 0.1 ? maxPayload - Math.floor(r() * 16) : shape < 0.4 ? 1 + Math.floor(r() * maxPayload) : 1 + Math.floor(r() * 400);
        const batch = r() < 0.25 ? 1 + Math.floor(r() * 12) : 1;
        const first = pool.state().newestSeq + 1;
        // half the batches go as text (written into the ring as UTF-8 between an envelope's prefix and suffix)
        const asText = r() < 0.5;
        const payloads: Uint8Array[] = [];
        const bodies: string[] = [];
        for (let i = 0; i < batch; i++) {
          const n = Math.max(asText ? 2 : 1, Math.min(maxPayload, pick()));
          sizes.set(first + i, n);
          if (asText) {
            bodies.push(textFor(first + i, n - 2));
            expected.set(first + i, new TextEncoder().encode(`<${bodies[i]}>`));
          } else payloads.push(payloadFor(first + i, n));
        }
        expect(pool.appendPayloads(asText ? { prefix: "<", bodies, suffix: ">" } : payloads)).toBe(first);
      }
      const s = pool.state();
      // Retained seqs are contiguous, end at the newest, and fit in the ring.
      expect(s.newestSeq).toBe(sizes.size);
      let bytes = 0;
      for (let q = s.oldestSeq; q <= s.newestSeq; q++) bytes += frameLength(sizes.get(q)!);
      expect(bytes).toBeLessThanOrEqual(ringSize);
      // The newest message is always retained; the one before the oldest could not have fit alongside.
      expect(s.oldestSeq).toBeLessThanOrEqual(s.newestSeq);
      if (s.oldestSeq > 1) expect(bytes + frameLength(sizes.get(s.oldestSeq - 1)!)).toBeGreaterThan(ringSize - 2 * 4096);
      for (let q = s.oldestSeq; q <= s.newestSeq; q++) {
        const m = pool.get(q);
        expect(m.seq).toBe(q);
        expect(m.payload).toEqual(expected.get(q) ?? payloadFor(q, sizes.get(q)!));
      }
      if (s.oldestSeq > 1) expect(kindOf(() => pool.get(s.oldestSeq - 1))).toBe("NotFound");
      expect(kindOf(() => pool.get(s.newestSeq + 1))).toBe("NotFound");
      const all = readAllFromOldest(pool, expected);
      expect(all).toEqual(Array.from({ length: s.newestSeq - s.oldestSeq + 1 }, (_, i) => s.oldestSeq + i));
      const n = 1 + Math.floor(r() * 5);
      const last = new Cursor(pool, { last: n });
      const got: number[] = [];
      for (let it = last.next(); it; it = last.next()) got.push(it.message!.seq);
      expect(got).toEqual(all.slice(-n));
      pool.close();
      rmSync(path);
    }
    expect(openMappingCount()).toBe(mappedBefore);
  });
});

describe("text payloads", () => {
  test("prefix + body + suffix written as UTF-8 reads back byte-identical to the encoded payload, crc included", () => {
    // more than four payloads: smaller batches are encoded to bytes first (see SMALL_TEXT_BATCH)
    const bodies = ['{"a":1}', '{"s":"é 日本 😀"}', "{}", `{"long":"${"x".repeat(3000)}"}`, '{"n": 12345678901234567890}', '{"z":"\u00e9"}'];
    const prefix = '{"meta":{"tags":["t"]},"data":';
    const pool = Pool.create(freshPath(), { sizeBytes: 64 * 1024 });
    const times: number[] = [];
    const first = pool.appendPayloads({ prefix, bodies, suffix: "}" }, "fast", times);
    const ascii = ['{"b":2}', '{"c":"plain"}', "{}", '{"d":[1,2]}', '{"e":null}'];
    pool.appendPayloads({ prefix, bodies: ascii, suffix: "}", ascii: true });
    expect(times.length).toBe(2 * bodies.length);
    const all = [...bodies, ...ascii];
    for (let i = 0; i < all.length; i++) {
      expect(new TextDecoder().decode(pool.get(first + i).payload)).toBe(prefix + all[i] + "}");
    }
    const report = doctorPool(pool.path);
    expect([report.status, report.messages_checked]).toEqual(["ok", all.length]);
    pool.close();
  });

  test("a text batch with one payload too large is refused whole and leaves the file unchanged", () => {
    const pool = Pool.create(freshPath(), { sizeBytes: 64 * 1024 });
    pool.appendPayloads({ prefix: "", bodies: ['{"x":1}'], suffix: "" });
    const before = readFileSync(pool.path);
    for (const n of [1, 8]) {
      const bodies = [...Array.from({ length: n }, () => '{"y":2}'), `"${"é".repeat(40_000)}"`];
      expect(kindOf(() => pool.appendPayloads({ prefix: "", bodies, suffix: "" }))).toBe("Usage");
    }
    expect(readFileSync(pool.path).equals(before)).toBe(true);
    pool.close();
  });
});

describe("pool lifecycle and errors", () => {
  test("create refuses to clobber; open of a missing pool is NotFound with path", () => {
    const path = freshPath();
    Pool.create(path).close();
    const before = readFileSync(path);
    expect(kindOf(() => Pool.create(path))).toBe("AlreadyExists");
    expect(readFileSync(path)).toEqual(before);
    try {
      Pool.open(join(dir, "missing.plasmite"));
      throw new Error("no error");
    } catch (err) {
      expect((err as PlasmiteError).kind).toBe("NotFound");
      expect((err as PlasmiteError).path).toBe(join(dir, "missing.plasmite"));
    }
  });

  test("opening the same pool twice in one process shares one mapping and does not deadlock", () => {
    const path = freshPath();
    const a = Pool.create(path);
    const b = Pool.open(path);
    a.appendPayload(payloadFor(1, 10));
    b.appendPayload(payloadFor(2, 10));
    expect(a.get(2).payload).toEqual(payloadFor(2, 10));
    const mapped = openMappingCount();
    b.close();
    expect(openMappingCount()).toBe(mapped);
    a.close();
    expect(openMappingCount()).toBe(mapped - 1);
  });

  test("in a fresh process the first open takes no identity, and a later open by another path still shares it", () => {
    const path = freshPath();
    Pool.create(path).close();
    linkSync(path, `${path}.hard`);
    symlinkSync(path, `${path}.sym`);
    // a process of its own: the first mapping it makes is the lazily identified one
    const script = `
      const { Pool } = await import(${JSON.stringify(join(import.meta.dir, "pool.ts"))});
      const { openMappingCount } = await import(${JSON.stringify(join(import.meta.dir, "open-files.ts"))});
      const a = Pool.open(${JSON.stringify(path)});
      const b = Pool.open(${JSON.stringify(`${path}.hard`)});
      const c = Pool.open(${JSON.stringify(`${path}.sym`)});
      a.appendPayload(new TextEncoder().encode('{"meta":{"tags":[]},"data":{"n":1}}'));
      b.appendPayload(new TextEncoder().encode('{"meta":{"tags":[]},"data":{"n":2}}'));
      const shared = openMappingCount();
      a.close(); b.close();
      const afterTwo = openMappingCount();
      c.close();
      console.log(JSON.stringify({ shared, afterTwo, after: openMappingCount(), newest: Pool.open(${JSON.stringify(path)}).state().newestSeq }));`;
    const out = Bun.spawnSync([process.execPath, "-e", script], { timeout: 10_000 });
    expect(out.stderr.toString()).toBe("");
    expect(JSON.parse(out.stdout.toString())).toEqual({ shared: 1, afterTwo: 1, after: 0, newest: 2 });
  });

  test("garbage, short and truncated files are Corrupt with the path", () => {
    const cases: Array<[string, Uint8Array]> = [
      ["nope", new TextEncoder().encode("NOPE")],
      ["zeros", new Uint8Array(4096)],
      ["empty", new Uint8Array(0)],
    ];
    const good = freshPath();
    Pool.create(good, { sizeBytes: 65536 }).close();
    cases.push(["half", readFileSync(good).subarray(0, 32768)]);
    for (const [name, bytes] of cases) {
      const path = join(dir, `${name}.plasmite`);
      writeFileSync(path, bytes);
      try {
        Pool.open(path);
        throw new Error(`${name} opened`);
      } catch (err) {
        expect((err as PlasmiteError).kind).toBe("Corrupt");
        expect((err as PlasmiteError).path).toBe(path);
      }
    }
  });

  test("a message too large for the ring is Usage and leaves the file byte-for-byte unchanged", () => {
    const path = freshPath();
    const pool = Pool.create(path, { sizeBytes: 8192 });
    pool.appendPayload(payloadFor(1, 100));
    const before = readFileSync(path);
    expect(kindOf(() => pool.appendPayloads([payloadFor(2, 10), payloadFor(3, 5000)]))).toBe("Usage");
    expect(readFileSync(path)).toEqual(before);
    pool.close();
  });

  test("a batch larger than the ring keeps contiguous seqs and retains its newest messages", () => {
    const pool = Pool.create(freshPath(), { sizeBytes: 8192, indexCapacity: 0 });
    pool.appendPayload(payloadFor(1, 50));
    const payloads = Array.from({ length: 100 }, (_, i) => payloadFor(i + 2, 200));
    expect(pool.appendPayloads(payloads)).toBe(2);
    const s = pool.state();
    expect(s.newestSeq).toBe(101);
    expect(readAllFromOldest(pool).at(-1)).toBe(101);
    expect(s.newestSeq - s.oldestSeq + 1).toBe(Math.floor(4096 / frameLength(200)));
    pool.close();
  });

  test("timestamps strictly increase with seq, even within a batch", () => {
    const pool = Pool.create(freshPath());
    pool.appendPayloads(Array.from({ length: 50 }, (_, i) => payloadFor(i + 1, 20)));
    pool.appendPayload(payloadFor(51, 20));
    let prev = 0n;
    for (let q = 1; q <= 51; q++) {
      const t = pool.get(q).timeNs;
      expect(t).toBeGreaterThan(prev);
      prev = t;
    }
    const now = BigInt(Date.now()) * 1_000_000n;
    expect(Number((now - prev) / 1_000_000n)).toBeLessThan(5000);
    pool.close();
  });

  test("flush durability appends and reads back", () => {
    const pool = Pool.create(freshPath(), { sizeBytes: 16384 });
    for (let i = 1; i <= 200; i++) pool.appendPayload(payloadFor(i, 100), "flush");
    expect(pool.get(200).payload).toEqual(payloadFor(200, 100));
    pool.close();
  });

  test("stats report the state, bytes in use and the oldest time (the library shapes pool info from them)", () => {
    const path = freshPath();
    const pool = Pool.create(path, { sizeBytes: 65536 });
    let stats = pool.stats();
    expect(stats.state.oldestSeq).toBeGreaterThan(stats.state.newestSeq); // empty
    expect(stats.usedBytes).toBe(0);
    expect(stats.oldestTimeNs).toBeNull();
    for (let i = 1; i <= 3; i++) pool.appendPayload(payloadFor(i, 8));
    stats = pool.stats();
    expect([stats.state.oldestSeq, stats.state.newestSeq]).toEqual([1, 3]);
    expect(stats.usedBytes).toBe(3 * 40);
    expect(stats.oldestTimeNs).toBe(pool.get(1).timeNs);
    expect(stats.state.newestTimeNs).toBe(pool.get(3).timeNs);
    pool.close();
  });

  test("delete removes the file; deleting a missing pool is NotFound", () => {
    const path = freshPath();
    Pool.create(path).close();
    Pool.delete(path);
    expect(existsSync(path)).toBe(false);
    expect(kindOf(() => Pool.delete(path))).toBe("NotFound");
  });

  test("a read-only file opens for reading; appends are refused with Permission", () => {
    if (process.getuid?.() === 0) {
      // root bypasses file modes; the read-only path is exercised through the open flags instead
      return void expect(Pool.open(freshPathWithPool()).writable).toBe(true);
    }
    const path = freshPathWithPool();
    chmodSync(path, 0o444);
    const pool = Pool.open(path);
    expect(pool.writable).toBe(false);
    expect(kindOf(() => pool.appendPayload(payloadFor(1, 1)))).toBe("Permission");
    pool.close();
  });
});

function freshPathWithPool(): string {
  const p = freshPath();
  Pool.create(p).close();
  return p;
}

describe("getMany", () => {
  test("returns what get returns for every seq, in the order asked, across wraps, with and without an index", () => {
    const rand = rng(7);
    for (const indexCapacity of [undefined, 0, 3]) {
      const pool = Pool.create(freshPath(), { sizeBytes: 65536, indexCapacity });
      for (let i = 1; i <= 3000; i++) pool.appendPayload(payloadFor(i, 8 + Math.floor(rand() * 300)));
      const { oldestSeq, newestSeq } = pool.state();
      expect(oldestSeq).toBeGreaterThan(1); // wrapped
      const seqs = Array.from({ length: 500 }, () => oldestSeq + Math.floor(rand() * (newestSeq - oldestSeq + 1)));
      seqs.push(oldestSeq, newestSeq, newestSeq, oldestSeq);
      const many = pool.getMany(seqs);
      expect(many.map((m) => m.seq)).toEqual(seqs);
      for (let i = 0; i < seqs.length; i++) expect(many[i]!.payload).toEqual(pool.get(seqs[i]!).payload);
      expect(pool.getMany([])).toEqual([]);
      pool.close();
    }
  });

  test("without the native prefetch (the libc backend) it returns the same", () => {
    const path = freshPath();
    const pool = Pool.create(path, { sizeBytes: 65536 });
    for (let i = 1; i <= 3000; i++) pool.appendPayload(payloadFor(i, 20 + (i % 90)));
    const { oldestSeq, newestSeq } = pool.state();
    const seqs = Array.from({ length: 300 }, (_, i) => oldestSeq + ((i * 7919) % (newestSeq - oldestSeq + 1)));
    const want = seqs.map((q) => Buffer.from(pool.get(q).payload).toString("hex"));
    pool.close();
    const script = `import { Pool } from ${JSON.stringify(join(import.meta.dir, "pool.ts"))}; import { sys } from ${JSON.stringify(join(import.meta.dir, "../platform/native.ts"))};
      const pool = Pool.open(${JSON.stringify(path)});
      console.log(JSON.stringify([sys().backend, pool.getMany(${JSON.stringify(seqs)}).map((m) => Buffer.from(m.payload).toString("hex"))]));`;
    const out = Bun.spawnSync([process.execPath, "-e", script], { env: { ...process.env, PLASMITE_NATIVE: "libc" } });
    expect(JSON.parse(out.stdout.toString())).toEqual(["libc", want]);
  });

  test("NotFound for a seq not retained, Corrupt for a damaged frame, as get", () => {
    const pool = Pool.create(freshPath(), { sizeBytes: 65536 });
    for (let i = 1; i <= 5; i++) pool.appendPayload(payloadFor(i, 50));
    for (const bad of [0, 6, 1.5, -1, Number.NaN]) expect([bad, kindOf(() => pool.getMany([1, bad]))]).toEqual([bad, "NotFound"]);
    pool.ring.bytes[pool.ring.ringOffset + frameLength(50) * 2 + 40] ^= 0xff; // payload of seq 3
    expect(kindOf(() => pool.getMany([1, 2, 3]))).toBe("Corrupt");
    expect(pool.getMany([5, 4]).map((m) => m.seq)).toEqual([5, 4]);
    pool.close();
  });
});

describe("cursor", () => {
  test("reports a drop with the exact count when lapped, then continues from the oldest", () => {
    const pool = Pool.create(freshPath(), { sizeBytes: 8192 });
    const c = new Cursor(pool, { oldest: true });
    for (let i = 1; i <= 5; i++) pool.appendPayload(payloadFor(i, 100));
    expect(c.next()!.message!.seq).toBe(1);
    for (let i = 6; i <= 200; i++) pool.appendPayload(payloadFor(i, 100));
    const s = pool.state();
    const first = c.next()!;
    expect(first.drop).toEqual({ fromSeq: 2, toSeq: s.oldestSeq - 1, count: s.oldestSeq - 2 });
    const rest: number[] = [];
    for (let it = c.next(); it; it = c.next()) rest.push(it.message!.seq);
    expect(rest[0]).toBe(s.oldestSeq);
    expect(rest.at(-1)).toBe(200);
    pool.close();
  });

  test("starts at the live edge by default, at a seq, and at a time", async () => {
    const pool = Pool.create(freshPath());
    for (let i = 1; i <= 10; i++) pool.appendPayload(payloadFor(i, 10));
    const live = new Cursor(pool);
    expect(live.next()).toBeNull();
    pool.appendPayload(payloadFor(11, 10));
    expect(live.next()!.message!.seq).toBe(11);
    const at = new Cursor(pool, { seq: 7 });
    expect(at.next()!.message!.seq).toBe(7);
    const t6 = pool.get(6).timeNs;
    const byTime = new Cursor(pool, { timeNs: t6 });
    expect(byTime.next()!.message!.seq).toBe(6);
    const future = new Cursor(pool, { timeNs: t6 * 2n });
    expect(future.next()).toBeNull();
    const past = new Cursor(pool, { timeNs: 0n });
    expect(past.next()!.message!.seq).toBe(1);
    pool.close();
  });

  test("a cursor waiting at the live edge survives the ring being emptied and reset", () => {
    const pool = Pool.create(freshPath(), { sizeBytes: 8192, indexCapacity: 0 });
    pool.appendPayload(payloadFor(1, 100));
    pool.appendPayload(payloadFor(2, 100));
    const c = new Cursor(pool);
    pool.appendPayload(payloadFor(3, 4096 - 32)); // fills the whole ring: everything else dropped
    expect(c.next()!.message!.seq).toBe(3);
    pool.appendPayload(payloadFor(4, 10));
    expect(c.next()!.message!.seq).toBe(4);
    pool.close();
  });

  test("a corrupted retained frame is reported as Corrupt with path and offset, never returned", () => {
    const path = freshPath();
    const pool = Pool.create(path, { sizeBytes: 65536, indexCapacity: 0 });
    for (let i = 1; i <= 5; i++) pool.appendPayload(payloadFor(i, 50));
    pool.ring.bytes[pool.ring.ringOffset + frameLength(50) * 2 + 40] ^= 0xff; // payload of seq 3
    const c = new Cursor(pool, { oldest: true });
    expect(c.next()!.message!.seq).toBe(1);
    expect(c.next()!.message!.seq).toBe(2);
    try {
      c.next();
      throw new Error("no error");
    } catch (err) {
      const e = err as PlasmiteError;
      expect(e.kind).toBe("Corrupt");
      expect(e.path).toBe(path);
      expect(e.seq).toBe(3);
      expect(e.offset).toBe(frameLength(50) * 2);
    }
    expect(kindOf(() => pool.get(3))).toBe("Corrupt");
    expect(pool.get(4).seq).toBe(4);
    // the payload's last byte (checked from the word that holds the 50-byte payload's tail) and a large payload
    pool.ring.bytes[pool.ring.ringOffset + frameLength(50) * 4 + 32 + 49] ^= 0x01;
    expect(kindOf(() => pool.get(5))).toBe("Corrupt");
    pool.appendPayload(payloadFor(6, 600));
    expect(pool.get(6).payload.length).toBe(600);
    pool.ring.bytes[pool.ring.ringOffset + frameLength(50) * 5 + 32 + 300] ^= 0x01;
    expect(kindOf(() => pool.get(6))).toBe("Corrupt");
    pool.close();
  });

  test("waitSync returns when another process appends, and times out otherwise", async () => {
    const path = freshPath();
    const pool = Pool.create(path);
    const c = new Cursor(pool);
    const t0 = performance.now();
    expect(c.waitSync(30)).toBe(false);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(29);
    const child = Bun.spawn([process.execPath, "-e", `
      import { Pool } from "${join(import.meta.dir, "pool.ts")}";
      await Bun.sleep(200);
      Pool.open(${JSON.stringify(path)}).appendPayload(new Uint8Array([1,2,3]));
    `]);
    expect(c.waitSync(10_000)).toBe(true);
    expect(c.next()!.message!.payload).toEqual(new Uint8Array([1, 2, 3]));
    await child.exited;
    pool.close();
  });
});

describe("libc fallback backend", () => {
  test("a process using libc directly reads and writes the same pool as the shim", async () => {
    const path = freshPath();
    const pool = Pool.create(path);
    pool.appendPayload(payloadFor(1, 30));
    const script = `
      import { Pool } from "${join(import.meta.dir, "pool.ts")}";
      import { nativeBackend } from "${join(import.meta.dir, "../platform/files.ts")}";
      const p = Pool.open(${JSON.stringify(path)});
      const first = p.get(1).payload.length;
      for (let i = 0; i < 100; i++) p.appendPayload(new Uint8Array(40).fill(i), i % 10 === 0 ? "flush" : "fast");
      console.log(JSON.stringify({ backend: nativeBackend(), first, newest: p.state().newestSeq }));
    `;
    const out = Bun.spawnSync([process.execPath, "-e", script], { env: { ...process.env, PLASMITE_NATIVE: "libc" } });
    expect(out.stderr.toString()).toBe("");
    expect(JSON.parse(out.stdout.toString())).toEqual({ backend: "libc", first: 30, newest: 101 });
    expect(pool.get(101).payload).toEqual(new Uint8Array(40).fill(99));
    pool.close();
  });
});
