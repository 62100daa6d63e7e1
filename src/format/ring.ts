// The views every format function works on (little-endian hosts only: x64 and arm64): the mapped file's bytes plus where the ring sits in them. Pure.

/** A pool file's bytes and its ring geometry; offsets passed around are ring-relative unless named `abs`. */
export interface RingView {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Int32 view of the whole file, for Atomics on the publication words and commit markers. */
  readonly words: Int32Array;
  /** Uint32 view of the whole file: aligned u32 fields (typed-array stores are cheaper than DataView calls). */
  readonly u32: Uint32Array;
  readonly ringOffset: number;
  readonly ringSize: number;
}

export function makeRingView(bytes: Uint8Array, ringOffset: number, ringSize: number): RingView {
  return {
    bytes,
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    words: new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2),
    u32: new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2),
    ringOffset,
    ringSize,
  };
}
