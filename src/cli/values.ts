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

/** Only ASCII digits, at least one (a loop: the first regular expression a command runs costs ~0.05 ms). */
function isDigits(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** A message seq: a positive integer. */
export function parseSeq(text: string): number {
  if (!isDigits(text.trim()) || !Number.isSafeInteger(Number(text)) || Number(text) < 1) {
    throw new PlasmiteError("Usage", `invalid seq '${text}': expected a positive integer`, { hint: "Example: pls get chat 1" });
  }
  return Number(text);
}

/** A non-negative integer flag value. */
export function parseCount(text: string, flag: string): number {
  if (!isDigits(text.trim()) || !Number.isSafeInteger(Number(text))) {
    throw new PlasmiteError("Usage", `invalid value for ${flag}: '${text}': expected a non-negative integer`);
  }
  return Number(text);
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "250ms", "10s", "5m", "2h", "1d", "1.5s" -> milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(text);
  if (!m) {
    throw new PlasmiteError("Usage", `invalid duration for ${flag}: '${text}'`, { hint: "Use a number plus ms, s, m, h or d, e.g. 10s or 500ms." });
  }
  return Number(m[1]) * DURATION_UNITS_MS[m[2]];
}

/** `--since`: a relative age ("5m", "2h", "1d") or an RFC 3339 time; returns Unix nanoseconds. */
export function parseSince(text: string, nowMs = Date.now()): bigint {
  const rel = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/i.exec(text);
  if (rel) return BigInt(Math.round((nowMs - Number(rel[1]) * DURATION_UNITS_MS[rel[2].toLowerCase()]) * 1e6));
  const iso = /^(\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d)(\.\d{1,9})?([Zz]|[+-]\d\d:\d\d)$/.exec(text.trim());
  const ms = iso ? Date.parse(`${iso[1].replace(/[t ]/, "T")}${iso[3].toUpperCase()}`) : NaN;
  if (!iso || Number.isNaN(ms)) {
    throw new PlasmiteError("Usage", `invalid --since value: '${text}'`, { hint: "Use RFC 3339 (2026-02-02T23:45:00Z) or a relative age like 5m, 2h, 1d." });
  }
  const frac = iso[2] ? BigInt(iso[2].slice(1).padEnd(9, "0")) : 0n;
  return BigInt(ms) * 1_000_000n + frac;
}

/** A non-negative finite number (for --replay). */
export function parseSpeed(text: string, flag: string): number {
  const v = Number(text);
  if (text.trim() === "" || !Number.isFinite(v) || v < 0) {
    throw new PlasmiteError("Usage", `invalid value for ${flag}: '${text}'`, { hint: "Use a non-negative number: 1 for real time, 10 for ten times faster, 0 for no delay." });
  }
  return v;
}

/** Largest record `pls poke` accepts from a stream unless --max-record-bytes says otherwise. */
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;
