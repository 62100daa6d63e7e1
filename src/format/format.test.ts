// Byte-level tests of the pure format layer: header, state slots, frames, index, planner.
import { describe, expect, test } from "bun:test";
import { PlasmiteError } from "../errors.ts";
import { crc32, crc32Text, crc32Words, crc32WordsCopy } from "./crc32.ts";
import { FrameStatus, KIND_FRAME, KIND_WRAP, newFrameInfo, payloadIntact, readFrameHeader, writeFrame, writeWrapMarker } from "./frame.ts";
import {
  PUBLISH_GEN_OFFSET,
  autoIndexCapacity,
  decodeGeometry,
  encodeHeader,
  planGeometry,
  publishState,
  readState,
  tryReadState,
  type PoolState,
} from "./header.ts";
import { DEFAULT_POOL_SIZE_BYTES, frameLength } from "./limits.ts";
import { planAppend } from "./plan.ts";
import { makeRingView } from "./ring.ts";
import { indexStride, lookupIndexSlot, walkFrames, writeIndexSlot } from "./seq-index.ts";

function freshFile(size = 64 * 1024, indexCapacity?: number) {
  const g = planGeometry(size, indexCapacity);
  g.createdNs = 1_700_000_000_000_000_000n;
  const bytes = new Uint8Array(size);
  encodeHeader(bytes, g);
  return { g, bytes, ring: makeRingView(bytes, g.ringOffset, g.ringSize) };
}

function expectError(fn: () => unknown, kind: string, messagePart?: string): PlasmiteError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PlasmiteError);
    const e = err as PlasmiteError;
    expect(e.kind).toBe(kind as never);
    if (messagePart) expect(e.message).toContain(messagePart);
    return e;
  }
  throw new Error("expected an error");
}

describe("crc32", () => {
  test("matches the standard check value for both code paths", () => {
    const check = new TextEncoder().encode("123456789");
    expect(crc32(check)).toBe(0xcbf43926);
    const long = new Uint8Array(1000).map((_, i) => (i * 31) & 0xff);
    // the native path (>= 48 bytes) agrees with the table path on every prefix length
    let c = -1;
    const table = new Int32Array(256).map((_, n) => {
      let x = n;
      for (let k = 0; k < 8; k++) x = x & 1 ? 0xedb88320 ^ (x >>> 1) : x >>> 1;
      return x;
    });
    const expected: number[] = [];
    for (let i = 0; i < long.length; i++) {
      c = table[(c ^ long[i]) & 0xff] ^ (c >>> 8);
      expected.push((c ^ -1) >>> 0);
    }
    // every prefix twice: small inputs go native until the 64th call, then through the table built then
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < long.length; i += 7) expect(crc32(long, 0, i + 1)).toBe(expected[i]);
    }
  });
});

describe("crc32 of words and of text", () => {
  test("crc32Words equals crc32 over the same bytes, cold (a fresh process) and warm", () => {
    const words = new Uint32Array(64);
    for (let i = 0; i < words.length; i++) words[i] = (Math.imul(i + 1, 2654435761) ^ (i << 29)) >>> 0;
    const bytes = new Uint8Array(words.buffer);
    for (let w = 0; w < 58; w += 3) expect([w, crc32Words(words, w, 6)]).toEqual([w, crc32(bytes, w * 4, w * 4 + 24)]);
    // any count, odd ones included (the warm loop takes two words a step)
    for (let n = 0; n <= 9; n++) expect([n, crc32Words(words, 5, n)]).toEqual([n, crc32(bytes, 20, 20 + n * 4)]);
    // a new process computes its first checksums from the byte table (before the slicing tables exist)
    const src = `import { crc32, crc32Words } from ${JSON.stringify(import.meta.dir + "/crc32.ts")};
      const u = new Uint32Array([1, 0xffffffff, 0x80000000, 12345, 0x7d7b2c22, 42]);
      const cold = crc32Words(u, 0, 6);
      console.log(cold === crc32(new Uint8Array(u.buffer)) ? "same" : "differs " + cold);`;
    const r = Bun.spawnSync([process.execPath, "-e", src]);
    expect(r.stdout.toString().trim()).toBe("same");
  });

  test("crc32WordsCopy checks and copies any length from an aligned word, cold and warm", () => {
    const words = new Uint32Array(80);
    for (let i = 0; i < words.length; i++) words[i] = (Math.imul(i + 7, 2246822519) ^ (i << 27)) >>> 0;
    const bytes = new Uint8Array(words.buffer);
    for (let w = 0; w < 10; w += 3) {
      for (let len = 0; len <= 200; len++) {
        const copy = new Uint8Array(len);
        const at = w * 4;
        expect([w, len, crc32WordsCopy(words, w, len, copy)]).toEqual([w, len, crc32(bytes, at, at + len)]);
        expect(copy).toEqual(bytes.slice(at, at + len)); // every byte, and not one past the length
        expect(crc32WordsCopy(words, w, len)).toBe(crc32(bytes, at, at + len));
      }
    }
    const src = `import { crc32, crc32WordsCopy } from ${JSON.stringify(import.meta.dir + "/crc32.ts")};
      const u = new Uint32Array([1, 0xffffffff, 0x80000000, 12345, 0x7d7b2c22, 42]);
      const b = new Uint8Array(u.buffer);
      const copy = new Uint8Array(23);
      const cold = crc32WordsCopy(u, 0, 23, copy);
      console.log(cold === crc32(b, 0, 23) && copy.every((x, i) => x === b[i]) ? "same" : "differs " + cold);`;
    const r = Bun.spawnSync([process.execPath, "-e", src]);
    expect(r.stdout.toString().trim()).toBe("same");
  });

  test("crc32Text is the crc32 of the UTF-8 bytes, and continues from a previous crc", () => {
    const enc = new TextEncoder();
    for (const [a, b] of [["", "x"], ['{"meta":{"tags":[]},"data":', '{"é":"日本 \u00e9 😀"}'], ["héllo ", "wörld}"]]) {
      expect(crc32Text(a + b)).toBe(crc32(enc.encode(a + b)));
      expect(crc32Text(b, crc32Text(a))).toBe(crc32(enc.encode(a + b)));
    }
  });
});

describe("geometry", () => {
  test("default 1 MiB pool layout", () => {
    const g = planGeometry(DEFAULT_POOL_SIZE_BYTES);
    // one slot per 2 seqs: (8161 - 1) * 2 >= 16320 frames of at least 64 bytes in a ring under 1 MiB - 4096
    expect(g.indexCapacity).toBe(8161);
    expect(g.indexStride).toBe(2);
    expect(g.ringOffset).toBe(69632); // align4096(4096 + 8161 * 8)
    expect(g.ringSize).toBe(DEFAULT_POOL_SIZE_BYTES - g.ringOffset);
    expect(g.ringOffset % 4096).toBe(0);
  });

  test("header bytes are exactly as the spec says", () => {
    const { bytes, g } = freshFile(65536);
    const v = new DataView(bytes.buffer);
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe("PLASMITE");
    expect(v.getUint32(8, true)).toBe(2);
    expect(v.getUint32(12, true)).toBe(4096);
    expect(v.getBigUint64(16, true)).toBe(65536n);
    expect(v.getBigUint64(24, true)).toBe(4096n);
    expect(v.getUint32(32, true)).toBe(g.indexCapacity);
    expect(v.getUint32(36, true)).toBe(0);
    expect(v.getBigUint64(40, true)).toBe(BigInt(g.ringOffset));
    expect(v.getBigUint64(48, true)).toBe(BigInt(g.ringSize));
    expect(v.getBigUint64(56, true)).toBe(1_700_000_000_000_000_000n);
    expect(v.getUint32(64, true)).toBe(crc32(bytes, 0, 64));
    expect(v.getUint32(128, true)).toBe(0); // publish_gen
    expect(v.getUint32(132, true)).toBe(0); // waiters
    // slot 0: gen 0, head 0, tail 0, oldest 1, newest 0, time 0, crc
    expect(v.getUint32(192, true)).toBe(0);
    expect(v.getBigUint64(192 + 24, true)).toBe(1n);
    expect(v.getBigUint64(192 + 32, true)).toBe(0n);
    expect(v.getUint32(192 + 48, true)).toBe(crc32(bytes, 192, 240));
    expect(decodeGeometry(bytes, 65536)).toEqual(g);
  });

  test("rejects sizes the format cannot hold", () => {
    expectError(() => planGeometry(100), "Usage", "out of range");
    expectError(() => planGeometry(65537), "Usage", "multiple of 8");
    expectError(() => planGeometry(65536, 65536), "Usage", "index capacity");
    expect(autoIndexCapacity(8192)).toBe(0);
    expect(planGeometry(8192).ringSize).toBe(4096);
  });

  test("a flipped byte anywhere in the geometry is Corrupt (or Usage for the version)", () => {
    for (let off = 0; off < 68; off++) {
      const { bytes } = freshFile(65536);
      bytes[off] ^= 0x40;
      const e = expectError(() => decodeGeometry(bytes, 65536), off >= 8 && off < 12 ? "Usage" : "Corrupt");
      expect(e.offset).toBeDefined();
    }
  });

  test("another format version is refused naming both versions", () => {
    const { bytes } = freshFile(65536);
    new DataView(bytes.buffer).setUint32(8, 3, true);
    const e = expectError(() => decodeGeometry(bytes, 65536), "Usage");
    expect(e.message).toContain("version 3");
    expect(e.message).toContain("version 2");
    new DataView(bytes.buffer).setUint32(8, 1, true); // a pool made before the sparse index
    const old = expectError(() => decodeGeometry(bytes, 65536), "Usage", "unsupported pool format version 1 (this plasmite reads version 2)");
    expect(old.hint).toContain("older plasmite");
  });

  test("a truncated or extended file is Corrupt", () => {
    const { bytes } = freshFile(65536);
    expectError(() => decodeGeometry(bytes, 65528), "Corrupt", "truncated");
    expectError(() => decodeGeometry(bytes.subarray(0, 100), 100), "Corrupt", "shorter");
  });
});

describe("state slots", () => {
  test("publish alternates slots and readers see exactly the published state", () => {
    const { ring } = freshFile();
    let s: PoolState = readState(ring);
    expect(s).toEqual({ gen: 0, headOff: 0, tailOff: 0, oldestSeq: 1, newestSeq: 0, newestTimeNs: 0n });
    for (let i = 1; i <= 5; i++) {
      s = { gen: i, headOff: i * 64, tailOff: 0, oldestSeq: 1, newestSeq: i, newestTimeNs: BigInt(i) * 1000n };
      publishState(ring, s);
      expect(readState(ring)).toEqual(s);
      expect(ring.view.getUint32(PUBLISH_GEN_OFFSET, true)).toBe(i);
    }
  });

  test("a slot written but not published is invisible (crash before the gen store)", () => {
    const { ring } = freshFile();
    const before = readState(ring);
    // write slot 1 for gen 1 without storing gen: simulate by publishing then rolling gen back
    publishState(ring, { gen: 1, headOff: 64, tailOff: 0, oldestSeq: 1, newestSeq: 1, newestTimeNs: 5n });
    ring.view.setUint32(PUBLISH_GEN_OFFSET, 0, true);
    expect(readState(ring)).toEqual(before);
  });

  test("every corrupted byte of the active slot is detected", () => {
    for (let off = 192; off < 192 + 52; off++) {
      const { ring, bytes } = freshFile();
      bytes[off] ^= 0x01;
      expectError(() => tryReadState(ring), "Corrupt");
    }
  });

  test("inconsistent but checksummed states are Corrupt", () => {
    const bad: Array<Partial<PoolState>> = [
      { headOff: 3 },
      { tailOff: 1 << 30 },
      { oldestSeq: 5, newestSeq: 2 },
      { oldestSeq: 1, newestSeq: 0, headOff: 64 },
    ];
    for (const b of bad) {
      const { ring } = freshFile();
      publishState(ring, { gen: 1, headOff: 0, tailOff: 0, oldestSeq: 1, newestSeq: 0, newestTimeNs: 0n, ...b });
      expectError(() => readState(ring), "Corrupt");
    }
  });
});

describe("frames", () => {
  const payload = new TextEncoder().encode('{"meta":{"tags":["a"]},"data":{"x":1}}');

  test("layout byte by byte", () => {
    const { ring, g, bytes } = freshFile();
    const len = writeFrame(ring, 64, 7, 123456789012345678n, payload);
    expect(len).toBe(frameLength(payload.length));
    expect(len % 8).toBe(0);
    const abs = g.ringOffset + 64;
    const v = ring.view;
    expect(v.getUint32(abs, true)).toBe(KIND_FRAME);
    expect(new TextDecoder().decode(bytes.subarray(abs, abs + 4))).toBe("FRM1");
    expect(v.getUint32(abs + 4, true)).toBe(payload.length);
    expect(v.getBigUint64(abs + 8, true)).toBe(7n);
    expect(v.getBigUint64(abs + 16, true)).toBe(123456789012345678n);
    expect(v.getUint32(abs + 24, true)).toBe(crc32(payload));
    expect(v.getUint32(abs + 28, true)).toBe(crc32(bytes, abs + 4, abs + 28));
    expect(bytes.subarray(abs + 32, abs + 32 + payload.length)).toEqual(payload);
    const info = newFrameInfo();
    expect(readFrameHeader(ring, 64, info)).toBe(FrameStatus.Ok);
    expect(info.seq).toBe(7);
    expect(payloadIntact(ring, info)).toBe(true);
  });

  test("an empty message costs 64 bytes of ring", () => {
    expect(frameLength(new TextEncoder().encode('{"meta":{"tags":[]},"data":{}}').length)).toBe(64);
  });

  test("every corrupted header byte is detected; payload bytes fail the payload crc", () => {
    const info = newFrameInfo();
    for (let i = 0; i < 32 + payload.length; i++) {
      const { ring, g, bytes } = freshFile();
      writeFrame(ring, 0, 1, 1n, payload);
      bytes[g.ringOffset + i] ^= 0x10;
      const status = readFrameHeader(ring, 0, info);
      if (i < 32) expect(status === FrameStatus.NotFrame || status === FrameStatus.BadHeader || status === FrameStatus.Wrap).toBe(true);
      else {
        expect(status).toBe(FrameStatus.Ok);
        expect(payloadIntact(ring, info)).toBe(false);
      }
    }
  });

  test("a frame whose commit marker is not yet written is not a frame", () => {
    const { ring, g } = freshFile();
    writeFrame(ring, 0, 1, 1n, payload);
    ring.view.setUint32(g.ringOffset, 0, true);
    expect(readFrameHeader(ring, 0, newFrameInfo())).toBe(FrameStatus.NotFrame);
  });

  test("wrap marker and ring end both mean continue at 0", () => {
    const { ring } = freshFile();
    writeWrapMarker(ring, 128);
    expect(ring.view.getUint32(ring.ringOffset + 128, true)).toBe(KIND_WRAP);
    expect(readFrameHeader(ring, 128, newFrameInfo())).toBe(FrameStatus.Wrap);
    expect(readFrameHeader(ring, ring.ringSize, newFrameInfo())).toBe(FrameStatus.Wrap);
  });

  test("a length that runs past the ring end is rejected", () => {
    const { ring } = freshFile();
    const big = new Uint8Array(200).fill(0x61);
    writeFrame(ring, 0, 1, 1n, big);
    // move the valid frame so it would cross the end
    const off = ring.ringSize - 64;
    ring.bytes.copyWithin(ring.ringOffset + off, ring.ringOffset, ring.ringOffset + 64);
    expect(readFrameHeader(ring, off, newFrameInfo())).toBe(FrameStatus.BadHeader);
  });
});

describe("index", () => {
  test("slots map seq to offset and reject other seqs", () => {
    const { ring, g } = freshFile(65536, 16);
    writeIndexSlot(ring, 16, 1, 5, 640);
    expect(lookupIndexSlot(ring, 16, 1, 5)).toBe(640);
    expect(lookupIndexSlot(ring, 16, 1, 21)).toBe(-1); // same slot, other seq
    expect(new DataView(ring.bytes.buffer).getUint32(4096 + 5 * 8, true)).toBe(5);
    writeIndexSlot(ring, 16, 1, 6, g.ringSize + 8); // garbage offset is refused on lookup
    expect(lookupIndexSlot(ring, 16, 1, 6)).toBe(-1);
    expect(lookupIndexSlot(ring, 0, 0, 5)).toBe(-1);
    // stride 4: seq 40 is in slot 10 (seq / stride mod capacity)
    writeIndexSlot(ring, 16, 4, 40, 800);
    expect(new DataView(ring.bytes.buffer).getUint32(4096 + 10 * 8, true)).toBe(40);
    expect(lookupIndexSlot(ring, 16, 4, 40)).toBe(800);
    expect(lookupIndexSlot(ring, 16, 4, 40 + 64)).toBe(-1);
  });

  test("the stride gives every retained indexed seq its own slot", () => {
    expect(indexStride(0, 1 << 20)).toBe(0);
    expect(indexStride(16, 64 * 15)).toBe(1);
    expect(indexStride(16, 64 * 16)).toBe(2);
    expect(indexStride(1, 64 * 1000)).toBe(1024);
    for (const [cap, ring] of [[7, 61440], [600, 61440], [8161, 978944], [3, 4096]]) {
      const stride = indexStride(cap, ring);
      expect((Math.max(1, cap - 1)) * stride).toBeGreaterThanOrEqual(Math.floor(ring / 64));
      if (stride > 1) expect(Math.max(1, cap - 1) * (stride / 2)).toBeLessThan(Math.floor(ring / 64));
    }
  });

  test("default sizing: the index grows with the pool (a 4 GiB pool: 64 MiB, stride 8)", () => {
    const rows = [1 << 20, 16 << 20, 64 << 20, 1 << 30, 4 * 2 ** 30].map((size) => {
      const g = planGeometry(size);
      return { size, stride: g.indexStride, indexBytes: g.indexCapacity * 8 };
    });
    expect(rows.map((r) => r.stride)).toEqual([2, 4, 8, 8, 8]);
    for (const r of rows) expect(r.indexBytes).toBeLessThanOrEqual(r.size / 16);
    expect(rows[4].indexBytes).toBeLessThanOrEqual(64 * 2 ** 20);
    expect(rows[4].indexBytes).toBeGreaterThan(32 * 2 ** 20);
    expect(autoIndexCapacity(8192)).toBe(0); // no room for a ring beside an index
  });

  test("walkFrames follows lengths and wrap markers, and refuses garbage", () => {
    const { ring } = freshFile(8192, 0); // a 4096-byte ring
    const offs: number[] = [];
    let off = 0;
    for (let seq = 1; seq <= 5; seq++) {
      offs.push(off);
      off += writeFrame(ring, off, seq, BigInt(seq), new Uint8Array(700));
    }
    writeWrapMarker(ring, off); // 5 * 736 = 3680; the next frame wraps
    writeFrame(ring, 0, 6, 6n, new Uint8Array(10));
    expect(walkFrames(ring, offs[1], 0)).toBe(offs[1]);
    expect(walkFrames(ring, offs[1], 2)).toBe(offs[3]);
    expect(walkFrames(ring, offs[4], 1)).toBe(off); // lands on the marker; readFrameHeader follows it
    expect(walkFrames(ring, offs[4], 2)).toBe(48);
    ring.u32[(ring.ringOffset + offs[3]) / 4] = 0; // not a frame
    expect(walkFrames(ring, offs[1], 3)).toBe(-1);
    ring.u32[(ring.ringOffset + offs[1]) / 4 + 1] = 0xffffff; // a length beyond the ring
    expect(walkFrames(ring, offs[1], 1)).toBe(-1);
  });
});

describe("planner", () => {
  function appendAll(sizes: number[], ringBytes = 4096 + 4096) {
    const { ring } = freshFile(ringBytes, 0);
    const s: PoolState = readState(ring);
    const placements: Array<{ seq: number; offset: number; wrapAt: number }> = [];
    for (const n of sizes) {
      const payload = new Uint8Array(n).fill(0x61);
      const p = planAppend(ring, s, frameLength(n), s.newestSeq + 1);
      if (!p) throw new Error("unexpected NEEDS_PUBLISH");
      if (p.wrapAt >= 0) writeWrapMarker(ring, p.wrapAt);
      writeFrame(ring, p.offset, s.newestSeq, BigInt(s.newestSeq), payload);
      placements.push({ seq: s.newestSeq, ...p });
    }
    return { s, placements, ring };
  }

  test("fills, then wraps with a marker, dropping only what the new frame needs", () => {
    // ring 4096: frames of 1000 bytes (payload 968)
    const { s, placements } = appendAll([968, 968, 968, 968, 968]);
    expect(placements.map((p) => p.offset)).toEqual([0, 1000, 2000, 3000, 0]);
    expect(placements[4].wrapAt).toBe(4000);
    expect(s.oldestSeq).toBe(2);
    expect(s.tailOff).toBe(1000);
    expect(s.headOff).toBe(1000);
  });

  test("a frame ending exactly at the ring end needs no marker", () => {
    const { s, placements } = appendAll([992, 992, 992, 992, 8]);
    expect(placements.map((p) => p.offset)).toEqual([0, 1024, 2048, 3072, 0]);
    expect(placements[4].wrapAt).toBe(-1);
    expect(s.oldestSeq).toBe(2);
  });

  test("an 8-byte gap at the end still gets a wrap marker and the tail skips it", () => {
    // frames of 1016 bytes leave an 32-byte gap after 4; then 1016*4 = 4064, gap 32
    const { s, placements, ring } = appendAll([984, 984, 984, 984, 984, 984, 984, 984]);
    expect(placements[4].offset).toBe(0);
    expect(placements[4].wrapAt).toBe(4064);
    expect(ring.view.getUint32(ring.ringOffset + 4064, true)).toBe(KIND_WRAP);
    expect(s.newestSeq - s.oldestSeq + 1).toBe(4);
    expect(s.tailOff).toBe(0);
  });

  test("a frame as large as the ring empties it and goes to offset 0", () => {
    const { s, placements } = appendAll([100, 4096 - 32, 100]);
    expect(placements[1].offset).toBe(0);
    expect(placements[2].offset).toBe(0);
    expect(s.oldestSeq).toBe(3);
    expect(s.newestSeq).toBe(3);
  });

  test("refuses a frame larger than the ring", () => {
    const { ring } = freshFile(8192, 0);
    expectError(() => planAppend(ring, readState(ring), 4104, 1), "Usage", "holds 4096");
  });

  test("signals NEEDS_PUBLISH instead of dropping an unwritten frame of its own batch", () => {
    const { ring } = freshFile(8192, 0);
    const s = readState(ring);
    expect(planAppend(ring, s, 2048, 1)).toEqual({ offset: 0, wrapAt: -1 });
    expect(planAppend(ring, s, 2048, 1)).toEqual({ offset: 2048, wrapAt: -1 });
    expect(planAppend(ring, s, 2048, 1)).toBeNull();
  });

  test("a damaged tail frame stops the planner with Corrupt at its offset", () => {
    const { ring, s } = appendAll([968, 968, 968, 968]);
    ring.bytes[ring.ringOffset + 10] ^= 0xff;
    const e = expectError(() => planAppend(ring, s, 1000, s.newestSeq + 1), "Corrupt");
    expect(e.offset).toBe(0);
  });
});
