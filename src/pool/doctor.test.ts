// doctor against pools damaged on purpose, one kind of damage at a time: the issue code, the seq and offset it
// names, and how far the walk vouched for (last_good_seq, messages_checked). Payloads with a valid checksum but
// the wrong shape are appended through the engine, which stores bytes as given.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32Words } from "../format/crc32.ts";
import { doctorPool } from "./doctor.ts";
import { Pool } from "./pool.ts";

const dir = mkdtempSync(join(tmpdir(), "plasmite-doctor-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const enc = new TextEncoder();
const good = (i: number, pad = 0) => enc.encode(`{"meta":{"tags":["t${i % 3}"]},"data":{"i":${i},"s":"é 日本 ${"x".repeat(pad)}"}}`);

/** A wrapped pool of `count` good messages; returns it with its retained bounds. */
function filled(count: number, sizeBytes = 256 * 1024) {
  const pool = Pool.create(join(dir, `p${n++}.plasmite`), { sizeBytes });
  for (let i = 1; i <= count; i += 500) pool.appendPayloads(Array.from({ length: Math.min(500, count - i + 1) }, (_, k) => good(i + k, (i + k) % 40)));
  const s = pool.state();
  return { pool, oldest: s.oldestSeq, newest: s.newestSeq };
}

/** The word index of the frame header of `seq`, and its ring offset. */
function frameOf(pool: Pool, seq: number) {
  const off = pool.reader.locate(seq, pool.state());
  return { off, w: (pool.ring.ringOffset + off) / 4 };
}

describe("doctor", () => {
  test("a healthy pool across wraps, with multi-byte text and a payload far larger than the rest: ok, every message checked", () => {
    const { pool, oldest, newest } = filled(6000);
    expect(oldest).toBeGreaterThan(1);
    pool.appendPayload(enc.encode(`{"meta":{"tags":[]},"data":{"big":"${"b".repeat(40_000)}"}}`));
    pool.appendPayload(good(1));
    const report = doctorPool(pool.path);
    const s = pool.state();
    expect(report).toMatchObject({ status: "ok", issues: [], last_good_seq: s.newestSeq, messages_checked: s.newestSeq - s.oldestSeq + 1 });
    expect(newest).toBeLessThan(s.newestSeq);
    pool.close();
  });

  test("a payload whose bytes no longer match its checksum", () => {
    const { pool, oldest } = filled(3000);
    const bad = oldest + 1234;
    const { off, w } = frameOf(pool, bad);
    pool.ring.bytes[w * 4 + 32 + 5] ^= 0x01;
    expect(doctorPool(pool.path)).toMatchObject({ status: "corrupt", last_good_seq: bad - 1, messages_checked: bad - oldest, issues: [{ code: "payload_checksum", seq: bad, offset: off }] });
    pool.close();
  });

  test("frames: a missing commit marker, a damaged header, another seq where one was expected", () => {
    for (const [code, damage] of [
      ["missing_frame", (u32: Uint32Array, w: number) => (u32[w] = 0)],
      ["frame_header", (u32: Uint32Array, w: number) => (u32[w + 4] ^= 1)],
      ["seq_mismatch", (u32: Uint32Array, w: number) => ((u32[w + 2] += 1000), (u32[w + 7] = crc32Words(u32, w + 1, 6)))],
    ] as const) {
      const { pool, oldest } = filled(3000);
      const bad = oldest + 777;
      const { off, w } = frameOf(pool, bad);
      damage(pool.ring.u32, w);
      expect({ code, report: doctorPool(pool.path) }).toMatchObject({ code, report: { status: "corrupt", last_good_seq: bad - 1, messages_checked: bad - oldest, issues: [{ code, seq: bad, offset: off }] } });
      pool.close();
    }
  });

  test("payloads with a valid checksum that are not a stored message: bad UTF-8, not JSON, the wrong shape", () => {
    const bads = [
      new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
      enc.encode('{"meta":{"tags":[]},"data":'),
      enc.encode("[1,2,3]"),
      enc.encode('{"data":{}}'),
      enc.encode('{"meta":{"tags":"t"},"data":{}}'),
      enc.encode('{"meta":{"tags":[]},"data":[]}'),
      enc.encode(""),
      // two halves that make one valid message when read side by side, and one payload that holds two
      enc.encode('{"meta":{"tags":[]},"data":{"x":"'),
    ];
    for (const bad of bads) {
      const pool = Pool.create(join(dir, `p${n++}.plasmite`), { sizeBytes: 256 * 1024 });
      pool.appendPayloads(Array.from({ length: 100 }, (_, k) => good(k + 1)));
      const seq = pool.appendPayload(bad);
      pool.appendPayloads([enc.encode('"}}'), ...Array.from({ length: 100 }, (_, k) => good(k + 200))]);
      const report = doctorPool(pool.path);
      expect({ bad: new TextDecoder().decode(bad), report }).toMatchObject({
        bad: new TextDecoder().decode(bad),
        report: { status: "corrupt", last_good_seq: seq - 1, messages_checked: seq - 1, issues: [{ code: "payload_shape", seq }] },
      });
      pool.close();
    }
    // a message and a half-message that would read as two messages together: the half is found
    const pool = Pool.create(join(dir, `p${n++}.plasmite`), { sizeBytes: 256 * 1024 });
    pool.appendPayloads([good(1), enc.encode('{"meta":{"tags":[]},"data":{}},{"meta":{"tags":[]},"data":{}}'), good(3)]);
    expect(doctorPool(pool.path)).toMatchObject({ status: "corrupt", last_good_seq: 1, issues: [{ code: "payload_shape", seq: 2 }] });
    pool.close();
  });

  test("a payload spread over lines (valid JSON, though writers store one line) is a message", () => {
    const pool = Pool.create(join(dir, `p${n++}.plasmite`), { sizeBytes: 256 * 1024 });
    pool.appendPayloads([good(1), enc.encode('{"meta":{"tags":[]},\n"data":{"a":\n1}}'), good(3)]);
    expect(doctorPool(pool.path)).toMatchObject({ status: "ok", last_good_seq: 3, messages_checked: 3 });
    pool.close();
  });
});
