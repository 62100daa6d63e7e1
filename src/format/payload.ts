// Message payloads (spec/format/v1.md §4): compact UTF-8 JSON `{"meta":{"tags":[...]},"data":{...}}`. Pure.
import { PlasmiteError } from "../errors.ts";
import { compactJson } from "./json-scan.ts";

export interface MessageBody {
  tags: string[];
  data: Record<string, unknown>;
  /** meta's other keys, when it has any (origin and stream, written by `pls bridge`; §4). */
  metaExtra?: Record<string, unknown>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Checks tags and data, throwing Usage for what a payload may not hold. */
export function checkMessage(data: unknown, tags: readonly unknown[]): void {
  if (!isJsonObject(data)) {
    throw new PlasmiteError("Usage", `message data must be a JSON object, got ${describe(data)}`, {
      hint: `Wrap the value in an object, e.g. '{"value": ${safeJson(data)}}'.`,
    });
  }
  for (let i = 0; i < tags.length; i++) {
    const tag = tags[i];
    if (typeof tag !== "string" || tag.length === 0) {
      throw new PlasmiteError("Usage", `tags must be non-empty strings, got ${describe(tag)}`);
    }
  }
}

/** The payload text for a message; `data` must already be checked. */
export function payloadText(data: Record<string, unknown>, tags: readonly string[]): string {
  return `${payloadPrefix(tags)}${JSON.stringify(data)}}`;
}

/** `{"meta":{"tags":[…]},"data":`: a payload is this, the data's JSON, then "}". Tags must already be checked. */
export function payloadPrefix(tags: readonly string[]): string {
  // A stream gives every record the same tags: the prefix is rebuilt only when their JSON changes.
  const tagsJson = tags.length === 0 ? "[]" : JSON.stringify(tags);
  if (tagsJson !== lastTagsJson) {
    lastTagsJson = tagsJson;
    lastTagsPrefix = `{"meta":{"tags":${tagsJson}},"data":`;
  }
  return lastTagsPrefix;
}

let lastTagsJson = "[]";
let lastTagsPrefix = `{"meta":{"tags":[]},"data":`;

/**
 * The text to store for a JSON object that was given as `text` (valid, whitespace-trimmed): the text itself
 * when it is one line, so numbers keep the writer's digits (a 64-bit id is not rounded through a double) and
 * nothing is encoded twice; a text spread over lines loses its insignificant whitespace (tokens unchanged),
 * since a stored payload never holds a line break (peek --jsonl prints it inside one line).
 */
export function dataTextOf(text: string): string {
  return text.indexOf("\n") < 0 && text.indexOf("\r") < 0 ? text : compactJson(text);
}

export function encodePayload(data: Record<string, unknown>, tags: readonly string[]): Uint8Array {
  return encoder.encode(payloadText(data, tags));
}

/** Parses a stored payload; throws Corrupt when it is not the documented shape. */
export function decodePayload(bytes: Uint8Array): MessageBody {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new PlasmiteError("Corrupt", "stored payload is not valid UTF-8 JSON");
  }
  if (!isJsonObject(value) || !isJsonObject(value.meta) || !Array.isArray(value.meta.tags) || !isJsonObject(value.data)) {
    throw new PlasmiteError("Corrupt", "stored payload is not {meta:{tags}, data}");
  }
  const { tags, ...extra } = value.meta;
  const body: MessageBody = { tags: tags as string[], data: value.data };
  for (const _ in extra) {
    body.metaExtra = extra;
    break;
  }
  return body;
}

/** The payload as text, for splicing into envelopes without parsing. */
export function payloadString(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "string" ? "a string" : typeof v;
}

function safeJson(v: unknown): string {
  try {
    const s = JSON.stringify(v);
    return s === undefined ? "null" : s.length > 40 ? s.slice(0, 37) + "..." : s;
  } catch {
    return "null";
  }
}

/**
 * The tag array of a payload or envelope text, read without parsing the data. `},"data":` cannot occur inside a
 * JSON string (its quotes would be escaped), so its first occurrence after the tags ends the array.
 */
export function tagsOfText(text: string): unknown[] | null {
  const start = text.indexOf(`"meta":{"tags":`);
  let end = text.indexOf(`},"data":`, start);
  if (start < 0 || end < 0) return null;
  // meta keys after the tags (origin, stream: §4): the array ends before the first `],"` key, which cannot
  // occur inside a tag (its quote would be escaped)
  const more = text.indexOf(`],"`, start);
  if (more >= 0 && more < end) end = more + 1;
  return JSON.parse(text.slice(start + 15, end)) as unknown[];
}
