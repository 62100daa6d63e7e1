// CRC-32/ISO-HDLC (zlib's crc32), the checksum of every header slot and frame. Pure.
// Warm (after 64 calls): small inputs (frame headers, state slots) use a slicing-by-8 table loop, large ones
// Bun's native crc32, whose fixed call cost only pays off above ~128 bytes (measured: 24 B 13 ns vs 62 ns;
// 256 B 125 ns vs 74 ns). Cold (a one-shot command computes a handful of checksums), inputs under 1 KiB use
// the byte table below: building tables in a loop costs ~0.15 ms in the interpreter and the native call
// ~60 µs on its first use, while this literal costs nothing to load.

/** The standard byte table for polynomial 0xEDB88320 (format.test.ts recomputes it). */
const BYTE_TABLE = new Int32Array([
  0, 1996959894, -301047508, -1727442502, 124634137, 1886057615, -379345611, -1637575261,
  249268274, 2044508324, -522852066, -1747789432, 162941995, 2125561021, -407360249, -1866523247,
  498536548, 1789927666, -205950648, -2067906082, 450548861, 1843258603, -187386543, -2083289657,
  325883990, 1684777152, -43845254, -1973040660, 335633487, 1661365465, -99664541, -1928851979,
  997073096, 1281953886, -715111964, -1570279054, 1006888145, 1258607687, -770865667, -1526024853,
  901097722, 1119000684, -608450090, -1396901568, 853044451, 1172266101, -589951537, -1412350631,
  651767980, 1373503546, -925412992, -1076862698, 565507253, 1454621731, -809855591, -1195530993,
  671266974, 1594198024, -972236366, -1324619484, 795835527, 1483230225, -1050600021, -1234817731,
  1994146192, 31158534, -1731059524, -271249366, 1907459465, 112637215, -1614814043, -390540237,
  2013776290, 251722036, -1777751922, -519137256, 2137656763, 141376813, -1855689577, -429695999,
  1802195444, 476864866, -2056965928, -228458418, 1812370925, 453092731, -2113342271, -183516073,
  1706088902, 314042704, -1950435094, -54949764, 1658658271, 366619977, -1932296973, -69972891,
  1303535960, 984961486, -1547960204, -725929758, 1256170817, 1037604311, -1529756563, -740887301,
  1131014506, 879679996, -1385723834, -631195440, 1141124467, 855842277, -1442165665, -586318647,
  1342533948, 654459306, -1106571248, -921952122, 1466479909, 544179635, -1184443383, -832445281,
  1591671054, 702138776, -1328506846, -942167884, 1504918807, 783551873, -1212326853, -1061524307,
  -306674912, -1698712650, 62317068, 1957810842, -355121351, -1647151185, 81470997, 1943803523,
  -480048366, -1805370492, 225274430, 2053790376, -468791541, -1828061283, 167816743, 2097651377,
  -267414716, -2029476910, 503444072, 1762050814, -144550051, -2140837941, 426522225, 1852507879,
  -19653770, -1982649376, 282753626, 1742555852, -105259153, -1900089351, 397917763, 1622183637,
  -690576408, -1580100738, 953729732, 1340076626, -776247311, -1497606297, 1068828381, 1219638859,
  -670225446, -1358292148, 906185462, 1090812512, -547295293, -1469587627, 829329135, 1181335161,
  -882789492, -1134132454, 628085408, 1382605366, -871598187, -1156888829, 570562233, 1426400815,
  -977650754, -1296233688, 733239954, 1555261956, -1026031705, -1244606671, 752459403, 1541320221,
  -1687895376, -328994266, 1969922972, 40735498, -1677130071, -351390145, 1913087877, 83908371,
  -1782625662, -491226604, 2075208622, 213261112, -1831694693, -438977011, 2094854071, 198958881,
  -2032938284, -237706686, 1759359992, 534414190, -2118248755, -155638181, 1873836001, 414664567,
  -2012718362, -15766928, 1711684554, 285281116, -1889165569, -127750551, 1634467795, 376229701,
  -1609899400, -686959890, 1308918612, 956543938, -1486412191, -799009033, 1231636301, 1047427035,
  -1362007478, -640263460, 1088359270, 936918000, -1447252397, -558129467, 1202900863, 817233897,
  -1111625188, -893730166, 1404277552, 615818150, -1160759803, -841546093, 1423857449, 601450431,
  -1285129682, -1000256840, 1567103746, 711928724, -1274298825, -1022587231, 1510334235, 755167117,
]);

let SLICE8: Int32Array | null = null;
let calls = 0;
const WARM_AFTER_CALLS = 64;
const COLD_TABLE_BELOW_BYTES = 1024;

/** Slicing-by-8 tables, derived from the byte table on the 64th call. */
function buildSlice8(): Int32Array {
  const t = new Int32Array(256 * 8);
  t.set(BYTE_TABLE);
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
  if (SLICE8 === null) {
    if (++calls < WARM_AFTER_CALLS) {
      if (end - start < COLD_TABLE_BELOW_BYTES || !nativeCrc32) return byteWise(bytes, start, end);
      return nativeCrc32(bytes.subarray(start, end)) >>> 0;
    }
    SLICE8 = buildSlice8();
  }
  if (nativeCrc32) {
    // A whole array goes to the native call as is (36 ns at 105 B); a sub-range needs a view, which costs more.
    if (start === 0 && end === bytes.length && end >= NATIVE_WHOLE_FROM_BYTES) return nativeCrc32(bytes) >>> 0;
    if (end - start >= NATIVE_FROM_BYTES) return nativeCrc32(bytes.subarray(start, end)) >>> 0;
  }
  const t = SLICE8;
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

function byteWise(bytes: Uint8Array, start: number, end: number): number {
  const t = BYTE_TABLE;
  let c = -1;
  for (let i = start; i < end; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/**
 * crc32 of `count` aligned little-endian words u32[w, w + count): the same value as crc32 over their bytes. Frame
 * headers are checked word by word (four table lookups per word, no byte loads): 24 bytes cost ~15 ns warm.
 */
export function crc32Words(u32: Uint32Array, w: number, count: number): number {
  if (SLICE8 === null && ++calls >= WARM_AFTER_CALLS) SLICE8 = buildSlice8();
  const t = SLICE8;
  let c = -1;
  if (t === null) {
    const b = BYTE_TABLE;
    for (let i = w; i < w + count; i++) {
      const v = u32[i];
      c = b[(c ^ v) & 0xff] ^ (c >>> 8);
      c = b[(c ^ (v >>> 8)) & 0xff] ^ (c >>> 8);
      c = b[(c ^ (v >>> 16)) & 0xff] ^ (c >>> 8);
      c = b[(c ^ (v >>> 24)) & 0xff] ^ (c >>> 8);
    }
    return (c ^ -1) >>> 0;
  }
  // two words a step (slicing by 8): eight lookups that do not wait on one another per step, half the chain
  const end = w + count;
  let i = w;
  for (; i + 2 <= end; i += 2) c = slice8Step(t, c ^ u32[i], u32[i + 1]);
  if (i < end) {
    const a = c ^ u32[i];
    c = t[768 + (a & 0xff)] ^ t[512 + ((a >>> 8) & 0xff)] ^ t[256 + ((a >>> 16) & 0xff)] ^ t[a >>> 24];
  }
  return (c ^ -1) >>> 0;
}

/** One slicing-by-8 step: the crc state after 8 bytes, given the first word xor-ed with the state and the second word. */
function slice8Step(t: Int32Array, a: number, b: number): number {
  return (
    t[1792 + (a & 0xff)] ^ t[1536 + ((a >>> 8) & 0xff)] ^ t[1280 + ((a >>> 16) & 0xff)] ^ t[1024 + (a >>> 24)] ^
    t[768 + (b & 0xff)] ^ t[512 + ((b >>> 8) & 0xff)] ^ t[256 + ((b >>> 16) & 0xff)] ^ t[b >>> 24]
  );
}

/**
 * crc32 of `length` bytes stored from the aligned word u32[w] on (little-endian words, so the bytes in order), and
 * with `into`, those bytes copied into it from index `at` on in the same pass. Payloads are read this way, not through
 * a byte view of the mapping: in a mapping over 2 GiB, byte loads at offsets past 2^31 leave the JIT's fast path
 * (a 60-byte payload checked byte by byte took ~1 µs there), while word indices stay below 2^30.
 */
export function crc32WordsCopy(u32: Uint32Array, w: number, length: number, into?: Uint8Array, at = 0): number {
  if (SLICE8 === null && ++calls >= WARM_AFTER_CALLS) SLICE8 = buildSlice8();
  const t = SLICE8;
  const full = length >>> 2;
  let c = -1;
  let i = 0;
  if (t !== null) {
    // warm: two words a step (see crc32Words); a 58-byte payload 59 -> 44 ns
    for (; i + 2 <= full; i += 2) {
      const v = u32[w + i];
      const b = u32[w + i + 1];
      if (into !== undefined) {
        storeWord(into, at + (i << 2), v);
        storeWord(into, at + ((i + 1) << 2), b);
      }
      c = slice8Step(t, c ^ v, b);
    }
  }
  for (; i < full; i++) {
    const v = u32[w + i];
    if (into !== undefined) storeWord(into, at + (i << 2), v);
    if (t === null) {
      c = BYTE_TABLE[(c ^ v) & 0xff] ^ (c >>> 8);
      c = BYTE_TABLE[(c ^ (v >>> 8)) & 0xff] ^ (c >>> 8);
      c = BYTE_TABLE[(c ^ (v >>> 16)) & 0xff] ^ (c >>> 8);
      c = BYTE_TABLE[(c ^ (v >>> 24)) & 0xff] ^ (c >>> 8);
    } else {
      const a = c ^ v;
      c = t[768 + (a & 0xff)] ^ t[512 + ((a >>> 8) & 0xff)] ^ t[256 + ((a >>> 16) & 0xff)] ^ t[a >>> 24];
    }
  }
  const rest = length & 3;
  if (rest > 0) {
    let v = u32[w + full]; // the word holding the last bytes: frames are padded to 8 bytes, so it is the frame's
    for (let k = 0; k < rest; k++, v >>>= 8) {
      if (into !== undefined) into[at + (full << 2) + k] = v;
      c = BYTE_TABLE[(c ^ v) & 0xff] ^ (c >>> 8);
    }
  }
  return (c ^ -1) >>> 0;
}

/** Stores word `v` as its four little-endian bytes at into[o..o+4). */
function storeWord(into: Uint8Array, o: number, v: number): void {
  into[o] = v;
  into[o + 1] = v >>> 8;
  into[o + 2] = v >>> 16;
  into[o + 3] = v >>> 24;
}

/**
 * crc32 of a string's UTF-8 bytes, without encoding it first where Bun can hash the string itself. With
 * `previous` (the crc32 of some bytes B), the crc32 of B followed by the string: pieces can be checksummed apart.
 */
export function crc32Text(text: string, previous = 0): number {
  if (nativeCrc32 !== undefined) return Bun.hash.crc32(text, previous) >>> 0;
  return crc32Extend(previous, new TextEncoder().encode(text));
}

/** The crc32 of some bytes B (whose crc32 is `previous`) followed by `bytes`: for a few bytes, cheaper than a native call. */
export function crc32Extend(previous: number, bytes: Uint8Array): number {
  const t = BYTE_TABLE;
  let c = previous ^ -1;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
