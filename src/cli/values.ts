// Parsing of CLI values (sizes, seqs, durations) into numbers, with Usage errors that show an example. Pure.
import { PlasmiteError } from "../errors.ts";

const SIZE_UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** "64K", "1M", "8MiB", "1048576" -> bytes (binary units). */
export function parseSize(text: string, flag = "--size"): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m ? SIZE_UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new PlasmiteError("Usage", `invalid size for ${flag}: '${text}'`, { hint: "Use bytes or a unit: 64K, 1M, 256M, 1G." });
  }
  const bytes = Math.round(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes)) throw new PlasmiteError("Usage", `size too large for ${flag}: '${text}'`);
  return bytes;
}

/** A message seq: a positive integer. */
export function parseSeq(text: string): number {
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(Number(text)) || Number(text) < 1) {
    throw new PlasmiteError("Usage", `invalid seq '${text}': expected a positive integer`, { hint: "Example: pls get chat 1" });
  }
  return Number(text);
}

/** A non-negative integer flag value. */
export function parseCount(text: string, flag: string): number {
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(Number(text))) {
    throw new PlasmiteError("Usage", `invalid value for ${flag}: '${text}': expected a non-negative integer`);
  }
  return Number(text);
}
