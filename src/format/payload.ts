// Message payloads (spec/format/v1.md §4): compact UTF-8 JSON `{"meta":{"tags":[...]},"data":{...}}`. Pure.
import { PlasmiteError } from "../errors.ts";
import { compactJson, valueEnd } from "./json-scan.ts";

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

declare const checked: unique symbol;
/**
 * A message's DATA as the JSON text to store, known to be a JSON object: made only by dataText (or objectText for
 * an object the program builds), so the text append path (PoolHandle.appendDataTexts) checks nothing again.
 */
export type DataText = string & { readonly [checked]: "data" };
/** Tags known to be non-empty strings: made only by checkedTags. */
export type CheckedTags = readonly string[] & { readonly [checked]: "tags" };

/** The one check of DATA, for every interface (poke, stream ingest, the server, MCP, the library): Usage unless a JSON object. */
export function checkData(data: unknown): asserts data is Record<string, unknown> {
  if (!isJsonObject(data)) {
    throw new PlasmiteError("Usage", `message data must be a JSON object, got ${describe(data)}`, {
      hint: `Wrap the value in an object, e.g. '{"value": ${safeJson(data)}}'.`,
    });
  }
}

/** The one check of tags: Usage unless an array of non-empty strings. */
export function checkedTags(tags: unknown): CheckedTags {
  if (!Array.isArray(tags)) throw new PlasmiteError("Usage", `tags must be an array of strings, got ${describe(tags)}`);
  for (let i = 0; i < tags.length; i++) {
    const tag: unknown = tags[i];
    if (typeof tag !== "string" || tag.length === 0) {
      throw new PlasmiteError("Usage", `tags must be non-empty strings, got ${describe(tag)}`);
    }
  }
  return tags as unknown as CheckedTags;
}

/**
 * DATA checked (checkData) as the text to store: `source`, the whitespace-trimmed text `data` was parsed from,
 * as written (dataTextOf); without a source, `data` encoded.
 */
export function dataText(data: unknown, source?: string): DataText {
  checkData(data);
  return (source === undefined ? JSON.stringify(data) : dataTextOf(source)) as DataText;
}

/** The text of an object the program builds (tap's lines and lifecycle messages): an object by its type. */
export function objectText(data: Record<string, unknown>): DataText {
  return JSON.stringify(data) as DataText;
}

/** Checks tags and data, throwing Usage for what a payload may not hold. */
export function checkMessage(data: unknown, tags: readonly unknown[]): asserts data is Record<string, unknown> {
  checkedTags(tags);
  checkData(data);
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

/** A parsed payload of the documented shape: an object with `meta.tags` (an array) and `data` (an object). */
type StoredShape = { meta: { tags: unknown[] } & Record<string, unknown>; data: Record<string, unknown> };

/** A stored payload's text, parsed; throws Corrupt when it is not JSON of the documented shape. */
export function parseStoredText(text: string): StoredShape {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw notJson();
  }
  if (!isJsonObject(value) || !isJsonObject(value.meta) || !Array.isArray(value.meta.tags) || !isJsonObject(value.data)) {
    throw new PlasmiteError("Corrupt", "stored payload is not {meta:{tags}, data}");
  }
  return value as StoredShape;
}

const notJson = () => new PlasmiteError("Corrupt", "stored payload is not valid UTF-8 JSON");

/** Parses a stored payload; throws Corrupt when it is not the documented shape. */
export function decodePayload(bytes: Uint8Array): MessageBody {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw notJson();
  }
  const value = parseStoredText(text);
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
  if (v === undefined) return "nothing";
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
 * The tag array of a payload or envelope text, read without parsing the data: the array after the first
 * `"meta":{"tags":` (nothing before it in an envelope, seq and time, can hold that text). Null for text of
 * another shape.
 */
export function tagsOfText(text: string): unknown[] | null {
  const key = `"meta":{"tags":`;
  const at = text.indexOf(key);
  if (at < 0 || text.charCodeAt(at + key.length) !== 0x5b) return null;
  return JSON.parse(text.slice(at + key.length, valueEnd(text, at + key.length))) as unknown[];
}

/** Tags a reader wants: as given, and as the UTF-8 bytes of their JSON strings (what payloadHasTags compares). */
export interface WantedTags {
  tags: readonly string[];
  tokens: Uint8Array[];
}

export function wantedTags(tags: readonly string[]): WantedTags {
  return { tags, tokens: tags.map((t) => encoder.encode(JSON.stringify(t))) };
}

const TAGS_START = encoder.encode(`{"meta":{"tags":[`);

/**
 * True when a stored payload's tag array holds every wanted tag, read from its bytes:
 * no decoding, no parse. A tag written with an escape (a backslash in the array) is compared after parsing, since
 * one string has several escaped spellings; so is a payload of another shape.
 */
export function payloadHasTags(payload: Uint8Array, wanted: WantedTags): boolean {
  const tokens = wanted.tokens;
  if (tokens.length === 0) return true;
  const n = TAGS_START.length;
  for (let k = 0; k < n; k++) if (payload[k] !== TAGS_START[k]) return parsedHasTags(payload, wanted);
  if (tokens.length > 30) return parsedHasTags(payload, wanted);
  let found = 0; // bit k: tokens[k] seen
  let i = n;
  if (payload[i] === 0x5d) return false; // "]": no tags
  for (;;) {
    if (payload[i] !== 0x22) return parsedHasTags(payload, wanted);
    let j = i + 1;
    while (j < payload.length && payload[j] !== 0x22) {
      if (payload[j] === 0x5c) return parsedHasTags(payload, wanted); // "\": an escape
      j++;
    }
    if (j >= payload.length) return parsedHasTags(payload, wanted);
    const len = j + 1 - i; // the element with its quotes
    for (let k = 0; k < tokens.length; k++) {
      const t = tokens[k];
      if (t.length !== len) continue;
      let same = true;
      for (let b = 1; b < len - 1; b++) {
        if (payload[i + b] !== t[b]) {
          same = false;
          break;
        }
      }
      if (same) found |= 1 << k;
    }
    i = j + 1;
    if (payload[i] === 0x2c) i++;
    else if (payload[i] === 0x5d) break;
    else return parsedHasTags(payload, wanted);
  }
  return found === (1 << tokens.length) - 1;
}

function parsedHasTags(payload: Uint8Array, wanted: WantedTags): boolean {
  const tags = tagsOfText(payloadString(payload));
  return tags !== null && wanted.tags.every((t) => tags.includes(t));
}
