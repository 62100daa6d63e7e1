// CRC-32/ISO-HDLC (zlib's crc32), the checksum of every header slot and frame. Pure.

const TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

// Below this size a JS loop beats the call into Bun's native crc32 (measured: 45 ns vs 60 ns at 30 bytes).
const NATIVE_FROM_BYTES = 48;
const nativeCrc32: ((data: Uint8Array) => number) | undefined =
  typeof Bun !== "undefined" ? (data) => Bun.hash.crc32(data) : undefined;

/** crc32 of bytes[start, end). */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  if (nativeCrc32 && end - start >= NATIVE_FROM_BYTES) return nativeCrc32(bytes.subarray(start, end)) >>> 0;
  let c = -1;
  for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
