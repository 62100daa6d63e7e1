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

/** Only ASCII digits, at least one. */
const isDigits = (text: string): boolean => /^[0-9]+$/.test(text);

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
  const invalid = (why: string) =>
    new PlasmiteError("Usage", `invalid --since value: '${text}'${why}`, { hint: "Use RFC 3339 (2026-02-02T23:45:00Z) or a relative age like 5m, 2h, 1d." });
  const iso = /^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(\.\d{1,9})?([Zz]|[+-](\d\d):(\d\d))$/.exec(text.trim());
  if (!iso) throw invalid("");
  // Date.parse would roll 2026-02-30 over to March 2 and T24:00 to the next day: refuse what is not on the calendar
  const problem = calendarProblem(iso.slice(1, 7).map(Number), iso[9] === undefined ? [0, 0] : [Number(iso[9]), Number(iso[10])]);
  if (problem) throw invalid(`: ${problem}`);
  const ms = Date.parse(`${iso[1]}-${iso[2]}-${iso[3]}T${iso[4]}:${iso[5]}:${iso[6]}${iso[8].toUpperCase()}`);
  if (Number.isNaN(ms)) throw invalid("");
  const frac = iso[7] ? BigInt(iso[7].slice(1).padEnd(9, "0")) : 0n;
  return BigInt(ms) * 1_000_000n + frac;
}

/** Why year-month-day hour:minute:second (and an offset's hours:minutes) is not a real time, or null. */
function calendarProblem([year, month, day, hour, minute, second]: number[], [offsetHours, offsetMinutes]: number[]): string | null {
  if (month < 1 || month > 12) return `month ${month} is not 1-12`;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (day < 1 || day > days) return `day ${day} is not 1-${days} in ${year}-${String(month).padStart(2, "0")}`;
  if (hour > 23) return `hour ${hour} is not 0-23`;
  if (minute > 59) return `minute ${minute} is not 0-59`;
  if (second > 59) return `second ${second} is not 0-59`;
  if (offsetHours > 23 || offsetMinutes > 59) return "the UTC offset is not -23:59 to +23:59";
  return null;
}

/** `--replay` speeds: 0 means no delay; any other speed lies in this range (a gap of 1 s takes 1000 s to 1 µs). */
export const MIN_REPLAY_SPEED = 0.001;
export const MAX_REPLAY_SPEED = 1_000_000;

/** `--replay SPEED`: a plain decimal number, 0 (no delay) or MIN_REPLAY_SPEED..MAX_REPLAY_SPEED. */
export function parseSpeed(text: string, flag: string): number {
  const plain = /^\s*\d+(?:\.\d+)?\s*$/.test(text);
  const v = plain ? Number(text) : NaN;
  if (!plain || (v !== 0 && (v < MIN_REPLAY_SPEED || v > MAX_REPLAY_SPEED))) {
    throw new PlasmiteError("Usage", `invalid value for ${flag}: '${text}'`, {
      hint: `Use a plain decimal number from ${MIN_REPLAY_SPEED} to ${MAX_REPLAY_SPEED}: 1 for real time, 10 for ten times faster, 0.5 for half speed; 0 for no delay.`,
    });
  }
  return v;
}

/** Largest record `pls poke` accepts from a stream unless --max-record-bytes says otherwise. */
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;
