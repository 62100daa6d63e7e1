// CRC-32/ISO-HDLC (zlib's crc32), the checksum of every header slot and frame. Pure.
// Small inputs (frame headers, state slots) use a slicing-by-8 table loop; large ones Bun's native crc32,
// whose fixed call cost only pays off above ~128 bytes (measured: 24 B 13 ns vs 62 ns; 256 B 125 ns vs 74 ns).

// Built on the 64th small call, not at load: the loop costs ~0.3 ms in the interpreter, a fifth of a
// one-shot `pls poke`, which computes only a handful of small checksums.
let TABLE: Int32Array | null = null;
let smallCalls = 0;
const TABLE_AFTER_CALLS = 64;

function buildTable(): Int32Array {
  const t = new Int32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) t[k * 256 + n] = (t[(k - 1) * 256 + n] >>> 8) ^ t[t[(k - 1) * 256 + n] & 0xff];
  }
  return t;
}

const NATIVE_FROM_BYTES = 128;
const NATIVE_WHOLE_FROM_BYTES = 48;
const nativeCrc32: ((data: Uint8Array) => number) | undefined =
  typeof Bun !== "undefined" ? (data) => Bun.hash.crc32(data) : undefined;

/** crc32 of bytes[start, end). */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  if (nativeCrc32) {
    // A whole array goes to the native call as is (36 ns at 105 B); a sub-range needs a view, which costs more.
    if (start === 0 && end === bytes.length && end >= NATIVE_WHOLE_FROM_BYTES) return nativeCrc32(bytes) >>> 0;
    if (end - start >= NATIVE_FROM_BYTES) return nativeCrc32(bytes.subarray(start, end)) >>> 0;
  }
  if (TABLE === null) {
    if (nativeCrc32 && ++smallCalls < TABLE_AFTER_CALLS) return nativeCrc32(bytes.subarray(start, end)) >>> 0;
    TABLE = buildTable();
  }
  const t = TABLE;
  let c = -1;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const a = c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    c =
      t[1792 + (a & 0xff)] ^ t[1536 + ((a >>> 8) & 0xff)] ^ t[1280 + ((a >>> 16) & 0xff)] ^ t[1024 + (a >>> 24)] ^
      t[768 + bytes[i + 4]] ^ t[512 + bytes[i + 5]] ^ t[256 + bytes[i + 6]] ^ t[bytes[i + 7]];
  }
  for (; i < end; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
