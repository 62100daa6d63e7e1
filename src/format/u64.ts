// Little-endian u64 fields as JS numbers. Values at or above 2^53 are not valid in the format, so reading
// returns -1 for them and callers report Corrupt. Pure.

const TWO_32 = 4294967296;
const MAX_HI = 0x1fffff; // hi word of 2^53 - 1

export function readU64(view: DataView, offset: number): number {
  const lo = view.getUint32(offset, true);
  const hi = view.getUint32(offset + 4, true);
  if (hi > MAX_HI) return -1;
  return hi * TWO_32 + lo;
}

export function writeU64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, value >>> 0, true);
  view.setUint32(offset + 4, Math.floor(value / TWO_32), true);
}

/** Reads a u64 nanosecond timestamp exactly (it exceeds 2^53). */
export function readU64Big(view: DataView, offset: number): bigint {
  return view.getBigUint64(offset, true);
}

export function writeU64Big(view: DataView, offset: number, value: bigint): void {
  view.setBigUint64(offset, value, true);
}
