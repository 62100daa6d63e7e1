// What a bridge puts on the wire and into pools (spec/v0/SPEC.md §6 `pls bridge`, spec/format/v1.md §4):
// message ids, the resume header, the body published to a stream (the payload with meta.origin) and the
// payload appended from one (meta.stream added). Pure: no I/O, no NATS code.
// Invariant: a payload built here has `tags` first in meta, no CR/LF, and meta objects without a "data" key,
// so `},"data":` occurs first where meta closes (envelopeDataText relies on that; tagsOfText on tags coming first).
import { compactJson, isJsonObject } from "../api/message-text.ts";

/** Where a message was first appended: kept in meta.origin through any number of bridges. */
export interface Origin {
  host: string;
  pool: string;
  seq: number;
  /** RFC 3339 UTC, as in the envelope. */
  time: string;
}

/** The stream position a message was appended from (meta.stream, written by `bridge in`). */
export interface StreamPosition {
  name: string;
  seq: number;
}

/** Header carrying the publisher's resume point: "A Q" (see resumeHeader). */
export const RESUME_HEADER = "Plasmite-Resume";

/** A pool's identity on the wire: its creation time in Unix nanoseconds (spec/format/v1.md §2.1 created_ns). */
export function poolIdOf(createdNs: bigint): string {
  return createdNs.toString();
}

/** Nats-Msg-Id of a pool's message: `plasmite:POOL_ID:SEQ`; JetStream drops a re-sent id inside its window. */
export function messageId(poolId: string, seq: number): string {
  return `plasmite:${poolId}:${seq}`;
}

/** The pool id and seq in a message id written by messageId, or null for any other id. */
export function parseMessageId(id: string | undefined): { poolId: string; seq: number } | null {
  if (!id || !id.startsWith("plasmite:")) return null;
  const at = id.lastIndexOf(":");
  const poolId = id.slice(9, at);
  const seq = Number(id.slice(at + 1));
  return at > 9 && poolId.length > 0 && Number.isSafeInteger(seq) && seq > 0 ? { poolId, seq } : null;
}

/**
 * The resume header of a published message: every origin seq <= `storedThrough` is in the stream (or was a
 * retention gap), and every origin seq above it is at a stream seq > `floor`. A restarted publisher scans only
 * (floor, last] for what it still has to send.
 */
export function resumeHeader(storedThrough: number, floor: number): string {
  return `${storedThrough} ${floor}`;
}

export function parseResumeHeader(value: string | undefined): { storedThrough: number; floor: number } | null {
  if (!value) return null;
  const [a, q] = value.split(" ");
  const storedThrough = Number(a);
  const floor = Number(q);
  return Number.isSafeInteger(storedThrough) && storedThrough >= 0 && Number.isSafeInteger(floor) && floor >= 0 ? { storedThrough, floor } : null;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
// `},"data":` as bytes: where meta closes in a stored payload (see the invariant above)
const DATA_KEY = [0x7d, 0x2c, 0x22, 0x64, 0x61, 0x74, 0x61, 0x22, 0x3a];
const META_PREFIX_BYTES = 16; // {"meta":{"tags":

/** Index of the "}" closing meta in payload bytes, or -1. */
function metaCloseIn(bytes: Uint8Array): number {
  const last = bytes.length - DATA_KEY.length;
  outer: for (let i = META_PREFIX_BYTES; i <= last; i++) {
    if (bytes[i] !== 0x7d) continue;
    for (let k = 1; k < DATA_KEY.length; k++) if (bytes[i + k] !== DATA_KEY[k]) continue outer;
    return i;
  }
  return -1;
}

/** The origin JSON for a message of this pool: `{"host":…,"pool":…,"seq":N,"time":"…"}`. */
export function originJson(hostAndPool: string, seq: number, time: string): string {
  return `${hostAndPool}"seq":${seq},"time":"${time}"}`;
}

/** The part of originJson shared by a pool's messages: `{"host":…,"pool":…,`. */
export function originPrefix(host: string, pool: string): string {
  return `{"host":${JSON.stringify(host)},"pool":${JSON.stringify(pool)},`;
}

/**
 * The body `bridge out` publishes for a stored payload: the payload with meta.origin, kept if the message
 * already has one (it came through another bridge), else `origin` (this pool's). Other meta keys (a stream
 * position from an earlier hop) are left out. Data bytes are copied as stored.
 */
export function outboundBody(payload: Uint8Array, origin: string): Uint8Array {
  const close = metaCloseIn(payload);
  if (close > 0 && payload[close - 1] === 0x5d /* ] : meta holds only tags */) {
    const insert = `,"origin":${origin}`;
    // UTF-8 takes at most 3 bytes per UTF-16 unit; the body is cut to what encodeInto wrote
    const out = new Uint8Array(payload.length + insert.length * 3);
    out.set(payload.subarray(0, close), 0);
    const written = encoder.encodeInto(insert, out.subarray(close)).written;
    out.set(payload.subarray(close), close + written);
    return out.subarray(0, payload.length + written);
  }
  const text = decoder.decode(payload);
  const meta = JSON.parse(text.slice(8, close + 1)) as Record<string, unknown>;
  const kept = originOf(meta.origin);
  const metaJson = `{"tags":${JSON.stringify(meta.tags)},"origin":${kept ? JSON.stringify(kept) : origin}}`;
  return encoder.encode(`{"meta":${metaJson}${text.slice(close + 1)}`);
}

/** A well-formed origin (exactly its four fields), or null. */
export function originOf(value: unknown): Origin | null {
  if (!isJsonObject(value)) return null;
  const { host, pool, seq, time } = value;
  if (typeof host !== "string" || typeof pool !== "string" || typeof time !== "string") return null;
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 1) return null;
  return { host, pool, seq, time };
}

/** What `bridge in` appends for one stream message, or why it cannot. */
export type InboundPayload = { payload: string; origin: Origin | null } | { refused: string };

/**
 * The payload to append for a stream message's body: a plasmite payload keeps its tags, origin and data text
 * (numbers keep their digits); any other JSON object becomes the data, with no tags. meta.stream records the
 * stream position. A body that is not a JSON object is refused.
 */
export function inboundPayload(body: Uint8Array, position: StreamPosition): InboundPayload {
  let text: string;
  let value: unknown;
  try {
    text = decoder.decode(body).trim();
    value = JSON.parse(text);
  } catch {
    return { refused: "the message is not UTF-8 JSON" };
  }
  if (!isJsonObject(value)) return { refused: "the message is not a JSON object" };
  if (text.includes("\n") || text.includes("\r")) text = compactJson(text);
  const stream = `"stream":{"name":${JSON.stringify(position.name)},"seq":${position.seq}}`;
  const keys = Object.keys(value);
  const meta = value.meta;
  if (keys.length === 2 && keys[0] === "meta" && keys[1] === "data" && isJsonObject(meta) && isJsonObject(value.data) && validTags(meta.tags)) {
    const origin = originOf(meta.origin);
    const metaJson = origin ? `{"tags":${JSON.stringify(meta.tags)},"origin":${JSON.stringify(origin)}}` : `{"tags":${JSON.stringify(meta.tags)}}`;
    const head = `{"meta":${metaJson},"data":`;
    // the data's own text when meta was written the canonical way (always, from `bridge out`)
    const data = text.startsWith(head) && text.endsWith("}") ? text.slice(head.length, -1) : JSON.stringify(value.data);
    return { payload: `{"meta":${metaJson.slice(0, -1)},${stream}},"data":${data}}`, origin };
  }
  return { payload: `{"meta":{"tags":[],${stream}},"data":${text}}`, origin: null };
}

function validTags(tags: unknown): tags is string[] {
  return Array.isArray(tags) && tags.every((t) => typeof t === "string" && t.length > 0);
}

/** meta.stream of a stored payload's text when it names `streamName`, else null. */
export function streamSeqOf(payloadText: string, streamName: string): number | null {
  const close = payloadText.indexOf(`},"data":`);
  if (close < 0 || !payloadText.includes(`"stream":{`)) return null;
  let meta: unknown;
  try {
    meta = JSON.parse(payloadText.slice(8, close + 1));
  } catch {
    return null;
  }
  if (!isJsonObject(meta) || !isJsonObject(meta.stream)) return null;
  const { name, seq } = meta.stream;
  return name === streamName && typeof seq === "number" && Number.isSafeInteger(seq) ? seq : null;
}
