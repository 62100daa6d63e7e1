// The views every format function works on (little-endian hosts only: x64 and arm64): the mapped file's bytes plus where the ring sits in them.
// Pure but for one private word used as a memory barrier. Never stores to a view whose `writable` is false.

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
  /** False for a mapping this process may only read: nothing may store to it, Atomics included (see loadWord). */
  readonly writable: boolean;
  /** Writes `text` as UTF-8 at absolute offset `abs`; `byteLength` is its UTF-8 length (utf8Length). */
  readonly writeText: (text: string, abs: number, byteLength: number) => void;
}

export function makeRingView(bytes: Uint8Array, ringOffset: number, ringSize: number, writable = true): RingView {
  // a division, not `>>> 2`: a 4 GiB pool's byte length is 2^32, which 32-bit shifts read as 0
  const wordCount = Math.floor(bytes.byteLength / 4);
  return {
    bytes,
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    words: new Int32Array(bytes.buffer, bytes.byteOffset, wordCount),
    u32: new Uint32Array(bytes.buffer, bytes.byteOffset, wordCount),
    ringOffset,
    ringSize,
    writable,
    writeText: textWriter(bytes),
  };
}

// A word of this process's own memory, for barriers: atomic operations on it order the plain loads around them,
// for the JIT (an atomic operation clobbers typed-array memory, so no load is merged or moved across it) and for
// the CPU (a read-modify-write is a full barrier on x64 and arm64).
const FENCE = new Int32Array(new SharedArrayBuffer(4));

/**
 * The u32 at word `index`, loaded with the ordering of Atomics.load. On a read-only mapping Atomics.load itself
 * faults once the JIT compiles it (JSC makes it a locked read-modify-write, which stores): there the word is read
 * with a plain load between two barriers on a private word.
 */
export function loadWord(ring: RingView, index: number): number {
  if (ring.writable) return Atomics.load(ring.words, index) >>> 0;
  Atomics.add(FENCE, 0, 0);
  const value = ring.u32[index];
  Atomics.add(FENCE, 0, 0);
  return value;
}

/**
 * Buffer's utf8Write encodes a string straight into the mapping at an offset (~16 ns for a 100-byte record;
 * Buffer.write's argument handling triples that, and encodeInto would first need a subarray view). The Buffer
 * is made on first use, so readers never pay for it.
 */
function textWriter(bytes: Uint8Array): (text: string, abs: number, byteLength: number) => void {
  let buf: NodeBuffer | null = null;
  return (text, abs, byteLength) => {
    if (typeof Buffer === "undefined") {
      textEncoder().encodeInto(text, bytes.subarray(abs, abs + byteLength));
      return;
    }
    buf ??= Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as NodeBuffer;
    buf.utf8Write(text, abs, byteLength);
  };
}

/** Node and Bun Buffers have utf8Write (what Buffer.write calls), though @types/node does not declare it. */
type NodeBuffer = Buffer & { utf8Write(text: string, offset: number, length: number): number };

/** The UTF-8 length of a string, without encoding it where the runtime can count it. */
export function utf8Length(text: string): number {
  return typeof Buffer === "undefined" ? textEncoder().encode(text).length : Buffer.byteLength(text, "utf8");
}

let encoder: TextEncoder | null = null;
const textEncoder = () => (encoder ??= new TextEncoder());
