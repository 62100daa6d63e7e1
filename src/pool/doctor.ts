// Validation of a whole pool (`pls doctor`): geometry, state, and every retained frame from tail to head.
// Read-only and lock-free; a report, never an exception, for anything wrong with the file.
import { PlasmiteError } from "../errors.ts";
import { FrameStatus, copyPayloadInto, newFrameInfo, readFrameHeader, type FrameInfo } from "../format/frame.ts";
import { isEmpty, type PoolState } from "../format/header.ts";
import { decodePayload, parseStoredText } from "../format/payload.ts";
import type { RingView } from "../format/ring.ts";
import { lookupIndexSlot } from "../format/seq-index.ts";
import { noteMessages } from "./gc-pacer.ts";
import { Pool } from "./pool.ts";

export interface DoctorIssue {
  code: string;
  message: string;
  seq?: number;
  offset?: number;
}

export interface DoctorReport {
  path: string;
  status: "ok" | "corrupt";
  /** Highest seq that validated in the walk (null when none did). */
  last_good_seq: number | null;
  messages_checked: number;
  issues: DoctorIssue[];
  /** Problems that do not make the pool corrupt (a stale index slot only costs a scan). */
  warnings: string[];
}

/** Validates the pool file at `path`. */
export function doctorPool(path: string): DoctorReport {
  let pool: Pool;
  try {
    pool = Pool.open(path);
  } catch (err) {
    if (!(err instanceof PlasmiteError) || (err.kind !== "Corrupt" && err.kind !== "Usage")) throw err;
    const code = err.kind === "Usage" ? "format" : "corrupt";
    return { path, status: "corrupt", last_good_seq: null, messages_checked: 0, issues: [{ code, message: err.message, offset: err.offset }], warnings: [] };
  }
  try {
    return walk(pool);
  } finally {
    pool.close();
  }
}

function walk(pool: Pool): DoctorReport {
  const report: DoctorReport = { path: pool.path, status: "ok", last_good_seq: null, messages_checked: 0, issues: [], warnings: [] };
  const fail = (issue: DoctorIssue) => {
    report.status = "corrupt";
    report.issues.push(issue);
    return report;
  };
  let s: PoolState;
  try {
    s = pool.state();
  } catch (err) {
    return fail({ code: "state", message: (err as Error).message, offset: (err as PlasmiteError).offset });
  }
  const ring = pool.ring;
  // Writers may append while we walk: validate against the state we started from, and accept a frame
  // that no longer validates only if it was dropped meanwhile.
  const dropped = (seq: number) => !pool.reader.stillRetained(seq, s);
  const batch = new ShapeBatch();
  /** Checks the shapes of the payloads batched so far: the report when one fails (or was dropped), else null. */
  const flush = (): DoctorReport | null => {
    const bad = batch.firstBad();
    const good = bad === null ? batch.count : bad.index;
    if (good > 0) {
      report.last_good_seq = batch.seqs[good - 1]!;
      report.messages_checked += good;
    }
    noteMessages(batch.count, false); // each parse leaves garbage: collect it by messages (see gc-pacer.ts)
    if (bad !== null) {
      const seq = batch.seqs[bad.index]!;
      return dropped(seq) ? report : fail({ code: "payload_shape", message: `seq ${seq}: ${bad.why}`, seq, offset: batch.offs[bad.index] });
    }
    batch.clear();
    return null;
  };
  const info = newFrameInfo();
  let off = s.tailOff;
  for (let seq = s.oldestSeq; seq <= s.newestSeq; seq++) {
    let status = readFrameHeader(ring, off, info);
    if (status === FrameStatus.Wrap) {
      off = 0;
      status = readFrameHeader(ring, 0, info);
    }
    // a problem here is reported after the earlier payloads' shapes: the first problem in seq order wins
    if (status !== FrameStatus.Ok) {
      if (flush() ?? dropped(seq)) return report;
      return fail({ code: status === FrameStatus.NotFrame ? "missing_frame" : "frame_header", message: `frame for seq ${seq} ${status === FrameStatus.NotFrame ? "is missing (no commit marker)" : "has a damaged header"}`, seq, offset: off });
    }
    if (info.seq !== seq) {
      if (flush() ?? dropped(seq)) return report;
      return fail({ code: "seq_mismatch", message: `expected seq ${seq} at offset ${off}, found ${info.seq}`, seq, offset: off });
    }
    if (!batch.fits(info.payloadLen) && flush()) return report;
    if (!batch.add(ring, info, seq, off)) {
      if (flush() ?? dropped(seq)) return report;
      return fail({ code: "payload_checksum", message: `payload of seq ${seq} fails its checksum`, seq, offset: off });
    }
    off += info.frameLen;
    if (off === ring.ringSize) off = 0;
  }
  if (flush()) return report;
  if (!isEmpty(s) && off !== s.headOff && !(s.headOff === 0 && off === 0)) {
    return fail({ code: "head_mismatch", message: `walk ended at offset ${off} but head is ${s.headOff}`, offset: off });
  }
  checkIndex(pool, s.oldestSeq, s.newestSeq, report);
  return report;
}

/** Payload bytes a shape check takes at once (a larger payload is checked alone), and most payloads. */
const SHAPE_BATCH_BYTES = 1 << 20;
const SHAPE_BATCH_MESSAGES = 4096;

/**
 * Payloads whose checksums held, copied out together for their shape check. One payload at a time, a decode and
 * a copy per message made doctor take 70 s over a 4 GiB pool (48M messages). Here the batch is decoded as one text
 * with a line break after each payload: a stored payload holds none, so the text splits back into exactly the
 * payloads (when it does not, or when the bytes are not UTF-8, each payload is decoded alone, as readers do).
 * Each is still parsed alone: an array of them parsed at once could read two damaged payloads as one message.
 */
class ShapeBatch {
  private bytes = new Uint8Array(SHAPE_BATCH_BYTES);
  private pos = 0;
  /** Each payload's end in `bytes` (its start is the previous end + 1). */
  private readonly ends: number[] = [];
  readonly seqs: number[] = [];
  readonly offs: number[] = [];

  get count(): number {
    return this.seqs.length;
  }

  /** Whether a payload of `length` bytes can join the batch (a full batch must be checked first). */
  fits(length: number): boolean {
    return this.count < SHAPE_BATCH_MESSAGES && (this.pos + length + 1 <= this.bytes.length || this.count === 0);
  }

  /** Copies the payload of the frame in `info` in and checks its crc on the way; false (nothing added) when it fails. */
  add(ring: RingView, info: FrameInfo, seq: number, off: number): boolean {
    const { payloadLen } = info;
    if (this.pos + payloadLen + 1 > this.bytes.length) this.bytes = new Uint8Array(payloadLen + 1); // alone, see fits
    const at = this.pos;
    if (!copyPayloadInto(ring, info, this.bytes, at)) return false;
    this.bytes[at + payloadLen] = 0x0a;
    this.pos = at + payloadLen + 1;
    this.ends.push(at + payloadLen);
    this.seqs.push(seq);
    this.offs.push(off);
    return true;
  }

  /** The first payload that is not a stored message, and why; null when all are. */
  firstBad(): { index: number; why: string } | null {
    const pieces = this.lines();
    for (let i = 0; i < this.count; i++) {
      let why: string | null = null;
      if (pieces === null) {
        try {
          decodePayload(this.bytes.subarray(i === 0 ? 0 : this.ends[i - 1]! + 1, this.ends[i]));
        } catch (err) {
          why = (err as Error).message;
        }
      } else why = shapeProblem(pieces[i]!);
      if (why !== null) return { index: i, why };
    }
    return null;
  }

  clear(): void {
    if (this.bytes.length > SHAPE_BATCH_BYTES) this.bytes = new Uint8Array(SHAPE_BATCH_BYTES);
    this.pos = 0;
    this.ends.length = 0;
    this.seqs.length = 0;
    this.offs.length = 0;
  }

  /** The payloads as text, one per line; null when they cannot be told apart that way (see the class). */
  private lines(): string[] | null {
    let text: string;
    try {
      text = strictUtf8.decode(this.bytes.subarray(0, this.pos));
    } catch {
      return null;
    }
    const pieces = text.split("\n");
    return pieces.length === this.count + 1 ? pieces : null;
  }
}

/** Decodes as readers do (invalid UTF-8 throws), but keeps every byte-order mark: shapeProblem drops one per payload. */
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Why a payload's text is not a stored message (parseStoredText's words), or null when it is one. */
function shapeProblem(text: string): string | null {
  try {
    parseStoredText(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text); // a reader's decode drops one mark
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Index slots of retained seqs should point at their frames; a stale one is only a warning (lookups verify). */
function checkIndex(pool: Pool, oldest: number, newest: number, report: DoctorReport): void {
  const { indexCapacity: cap, indexStride: stride } = pool.geometry;
  if (cap === 0 || oldest > newest) return;
  let stale = 0;
  // every retained multiple of the stride has its own slot (spec/format/v2.md §3): at most `cap` of them
  for (let seq = Math.ceil(oldest / stride) * stride; seq <= newest; seq += stride) {
    const off = lookupIndexSlot(pool.ring, cap, stride, seq);
    if (off < 0 || !pool.reader.headerAt(off, seq)) stale++;
  }
  if (stale > 0) report.warnings.push(`warning: ${stale} index slot(s) are stale; lookups fall back to a scan`);
}
