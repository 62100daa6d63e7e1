// Every size limit of the pool format, named once. See spec/format/v1.md §5.

export const FORMAT_VERSION = 1;
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

export const INDEX_SLOT_BYTES = 8;
export const MAX_AUTO_INDEX_CAPACITY = 65536;
/** Default sizing gives one index slot per this many bytes of pool. */
export const AUTO_INDEX_BYTES_PER_SLOT = 128;

export function alignPage(n: number): number {
  return Math.ceil(n / PAGE_SIZE_BYTES) * PAGE_SIZE_BYTES;
}

/** Bytes a frame with this payload takes in the ring. */
export function frameLength(payloadBytes: number): number {
  return Math.ceil((FRAME_HEADER_BYTES + payloadBytes) / FRAME_ALIGN_BYTES) * FRAME_ALIGN_BYTES;
}
