// A receipt: what a writer is told about each message it appended, `{"seq","time","meta":{"tags"}}` (CLI spec:
// poke's output, one line per record when piped; the library's append result). The time text is the envelope's.
import { writeHead } from "./time-bytes.ts";
import { formatTimeParts } from "./time-text.ts";

export interface Receipt {
  seq: number;
  /** RFC 3339 UTC, as in the message's envelope. */
  time: string;
  meta: { tags: string[] };
}

/** The receipt of message `seq`, stored at hi·2^32 + lo nanoseconds with `tags`. */
export function receiptOf(seq: number, timeHi: number, timeLo: number, tags: readonly string[]): Receipt {
  return { seq, time: formatTimeParts(timeHi, timeLo), meta: { tags: [...tags] } };
}

/** What follows the time in every receipt with these tags: `,"meta":{"tags":[…]}}` (then a newline in JSON Lines). */
export function receiptTail(tags: readonly string[]): string {
  return `,"meta":{"tags":${JSON.stringify(tags)}}}`;
}

/** A receipt line as text: `{"seq":N,"time":"…","meta":{"tags":[…]}}`. */
export function receiptText(seq: number, time: string, tags: readonly string[]): string {
  return `{"seq":${seq},"time":"${time}"${receiptTail(tags)}`;
}

/** Writes one receipt line at `pos` (room: HEAD_BYTES + tail.length); `tail` is receiptTail's text and a newline, as bytes. */
export function writeReceipt(buf: Uint8Array, pos: number, seq: number, timeHi: number, timeLo: number, tail: Uint8Array): number {
  pos = writeHead(buf, pos, seq, timeHi, timeLo);
  for (let k = 0; k < tail.length; k++) buf[pos++] = tail[k];
  return pos;
}
