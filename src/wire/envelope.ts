// The message envelope users see: {"seq","time","meta":{"tags",…},"data"}. Pure.
import { decodePayload, payloadPrefix, payloadString } from "../format/payload.ts";
import { formatTime, formatTimeParts } from "./time-text.ts";
import type { StoredMessage } from "../pool/reader.ts";

export interface Message {
  seq: number;
  /** RFC 3339 UTC, nanoseconds with trailing zeros trimmed. */
  time: string;
  /** tags; a message mirrored by `pls bridge in` also has origin and stream (spec/format/v1.md §4). */
  meta: { tags: string[]; origin?: MessageOrigin; stream?: { name: string; seq: number } };
  data: Record<string, unknown>;
}

/** Where a mirrored message was first appended. */
export interface MessageOrigin {
  host: string;
  pool: string;
  seq: number;
  time: string;
}

export function toMessage(m: StoredMessage): Message {
  const body = decodePayload(m.payload);
  const meta: Message["meta"] = body.metaExtra ? { tags: body.tags, ...body.metaExtra } : { tags: body.tags };
  return { seq: m.seq, time: formatTime(m.timeNs), meta, data: body.data };
}

/** The envelope as compact JSON text, spliced from the stored payload without parsing it. */
export function envelopeJson(m: StoredMessage): string {
  return envelopeOfPayload(m, payloadString(m.payload));
}

/** The envelope of a message whose payload text is `payload` (`{"meta":...,"data":...}`): its "{" dropped, seq and time in front. */
export function envelopeOfPayload(m: Pick<StoredMessage, "seq" | "timeHi" | "timeLo">, payload: string): string {
  return envelopePrefix(m) + "," + payload.slice(1);
}

/** The envelope of a message just appended from its data text and tags (the server's and MCP's append answer). */
export function envelopeOfData(seq: number, timeHi: number, timeLo: number, tags: readonly string[], dataText: string): string {
  return envelopeOfPayload({ seq, timeHi, timeLo }, payloadPrefix(tags) + dataText + "}");
}

/** The envelope's text before the payload's fields: `{"seq":N,"time":"..."` (ASCII only). */
export function envelopePrefix(m: Pick<StoredMessage, "seq" | "timeHi" | "timeLo">): string {
  return `{"seq":${m.seq},"time":"${formatTimeParts(m.timeHi, m.timeLo)}"`;
}

/**
 * The data's text in an envelope built by envelopeJson (or spliced the same way): everything after the first
 * `},"data":` but the final "}". That string cannot occur inside the tags (their quotes are escaped). Null for
 * text of another shape.
 */
export function envelopeDataText(envelope: string): string | null {
  const at = envelope.indexOf(DATA_KEY);
  return at >= 0 && envelope.endsWith("}") ? envelope.slice(at + DATA_KEY.length, -1) : null;
}

const DATA_KEY = '},"data":';
