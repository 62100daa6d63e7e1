// Every size limit of the pool format, named once. See spec/format/v2.md §5.

/** 2: the sparse index (spec/format/v2.md §3); version 1 indexed every seq in at most 65,536 slots. */
export const FORMAT_VERSION = 2;
export const HEADER_SIZE_BYTES = 4096;
export const PAGE_SIZE_BYTES = 4096;

export const DEFAULT_POOL_SIZE_BYTES = 1024 * 1024;
export const MIN_POOL_SIZE_BYTES = 8192;
/** One mapping per pool; Bun's toArrayBuffer stops at 4 GiB. */
export const MAX_POOL_SIZE_BYTES = 4 * 1024 * 1024 * 1024;
export const MIN_RING_SIZE_BYTES = 4096;

export const FRAME_HEADER_BYTES = 32;
export const FRAME_ALIGN_BYTES = 8;
export const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

/** The smallest frame a message can take: the empty envelope `{"meta":{"tags":[]},"data":{}}` (30 bytes) framed. */
export const MIN_FRAME_BYTES = 64;

export const INDEX_SLOT_BYTES = 8;
/** Default sizing: at most one index slot per this many bytes of pool (small pools)… */
export const AUTO_INDEX_BYTES_PER_SLOT = 128;
/**
 * …and, beyond MIN_AUTO_INDEX_BUDGET slots, one per this many: stride 8 from 32 MiB up, a 4 GiB pool's index is
 * 64 MiB (1.6% of the file). At 1024 (stride 16, 0.8%) a lookup walked 7.5 frames on average, and lookups of
 * random seqs in a 4 GiB pool, 64 per getMany, ran at 0.94-1.06M/s against 1.11-1.14M at stride 8 (stride 4,
 * 3.1% of the file: 1.22-1.45M).
 */
export const AUTO_INDEX_BYTES_PER_SLOT_LARGE = 512;
export const MIN_AUTO_INDEX_BUDGET = 65536;

export function alignPage(n: number): number {
  return Math.ceil(n / PAGE_SIZE_BYTES) * PAGE_SIZE_BYTES;
}

/** Bytes a frame with this payload takes in the ring. */
export function frameLength(payloadBytes: number): number {
  return Math.ceil((FRAME_HEADER_BYTES + payloadBytes) / FRAME_ALIGN_BYTES) * FRAME_ALIGN_BYTES;
}
