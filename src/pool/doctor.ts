// Validation of a whole pool (`pls doctor`): geometry, state, and every retained frame from tail to head.
// Read-only and lock-free; a report, never an exception, for anything wrong with the file.
import { PlasmiteError } from "../errors.ts";
import { FrameStatus, newFrameInfo, payloadIntact, readFrameHeader } from "../format/frame.ts";
import { isEmpty } from "../format/header.ts";
import { decodePayload } from "../format/payload.ts";
import { lookupIndexSlot } from "../format/seq-index.ts";
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
  let s;
  try {
    s = pool.state();
  } catch (err) {
    return fail({ code: "state", message: (err as Error).message, offset: (err as PlasmiteError).offset });
  }
  const ring = pool.ring;
  // Writers may append while we walk: validate against the state we started from, and accept a frame
  // that no longer validates only if it was dropped meanwhile.
  const info = newFrameInfo();
  let off = s.tailOff;
  for (let seq = s.oldestSeq; seq <= s.newestSeq; seq++) {
    let status = readFrameHeader(ring, off, info);
    if (status === FrameStatus.Wrap) {
      off = 0;
      status = readFrameHeader(ring, 0, info);
    }
    const dropped = () => !pool.reader.stillRetained(seq, s);
    if (status !== FrameStatus.Ok) {
      if (dropped()) return report;
      return fail({ code: status === FrameStatus.NotFrame ? "missing_frame" : "frame_header", message: `frame for seq ${seq} ${status === FrameStatus.NotFrame ? "is missing (no commit marker)" : "has a damaged header"}`, seq, offset: off });
    }
    if (info.seq !== seq) {
      if (dropped()) return report;
      return fail({ code: "seq_mismatch", message: `expected seq ${seq} at offset ${off}, found ${info.seq}`, seq, offset: off });
    }
    if (!payloadIntact(ring, info)) {
      if (dropped()) return report;
      return fail({ code: "payload_checksum", message: `payload of seq ${seq} fails its checksum`, seq, offset: off });
    }
    try {
      decodePayload(ring.bytes.slice(info.payloadAbs, info.payloadAbs + info.payloadLen));
    } catch (err) {
      if (dropped()) return report;
      return fail({ code: "payload_shape", message: `seq ${seq}: ${(err as Error).message}`, seq, offset: off });
    }
    report.last_good_seq = seq;
    report.messages_checked++;
    off += info.frameLen;
    if (off === ring.ringSize) off = 0;
  }
  if (!isEmpty(s) && off !== s.headOff && !(s.headOff === 0 && off === 0)) {
    return fail({ code: "head_mismatch", message: `walk ended at offset ${off} but head is ${s.headOff}`, offset: off });
  }
  checkIndex(pool, s.oldestSeq, s.newestSeq, report);
  return report;
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
