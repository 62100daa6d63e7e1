// Splits a byte stream into JSON records for `pls poke` stream ingest: JSON Lines (with recovery for
// pretty-printed values), one JSON document, RFC 7464 JSON-seq, jq-style concatenated values, SSE `data:` lines.
// Pure and incremental: push() returns every record completed by a chunk, so nothing waits for more input.
import { dataText, isJsonObject, type DataText } from "../api/message-text.ts";
import { DEFAULT_MAX_RECORD_BYTES } from "./values.ts";

export type InputMode = "auto" | "jsonl" | "json" | "seq" | "jq";
type EffectiveMode = "jsonl" | "jsonl-multiline" | "json" | "seq" | "jq" | "event";

export interface RecordOk {
  ok: true;
  index: number;
  data: Record<string, unknown>;
  /** The JSON text to store (see dataText): a one-line record as written. */
  text: DataText;
  /** `text` is known to be ASCII (its UTF-8 length is its length). */
  ascii: boolean;
}

export interface RecordError {
  ok: false;
  index: number;
  line?: number;
  kind: "Parse" | "Oversize" | "NotObject";
  message: string;
  snippet: string;
}

export type ParsedRecord = RecordOk | RecordError;

export { DEFAULT_MAX_RECORD_BYTES };
const SNIFF_BYTES = 8192;
const SNIPPET_BYTES = 200;

export class RecordSplitter {
  private mode: EffectiveMode | null;
  private buffer = "";
  private lineNo = 0;
  private index = 0;
  /** jsonl-multiline: lines of a value spread over several lines. */
  private pending: string[] = [];
  private pendingLine = 0;
  private pendingBytes = 0;
  /** event mode: data lines of the event being read. */
  private eventData: string[] = [];
  private readonly maxRecordBytes: number;

  constructor(mode: InputMode, maxRecordBytes = DEFAULT_MAX_RECORD_BYTES) {
    this.mode = mode === "auto" ? null : mode;
    this.maxRecordBytes = maxRecordBytes;
  }

  /** The mode in use ("auto" resolves after sniffing the first 8 KiB or 8 lines). */
  get effectiveMode(): string {
    return this.mode ?? "auto";
  }

  /** Every chunk pushed so far was ASCII, so every record text cut from them is. */
  private allAscii = true;

  /** `ascii`: the chunk is known to be ASCII. */
  push(text: string, ascii = false): ParsedRecord[] {
    if (!ascii) this.allAscii = false;
    this.buffer += text;
    if (this.mode === null) {
      // Decide as soon as the first record's start is visible: waiting for 8 KiB or 8 lines would hold back a
      // slow producer's first lines (tail -f | pls poke).
      if (!sniffable(this.buffer)) return [];
      this.mode = sniff(this.buffer);
    }
    return this.drain(false);
  }

  end(): ParsedRecord[] {
    if (this.mode === null) this.mode = sniff(this.buffer);
    const out = this.drain(true);
    if (this.pending.length > 0) {
      out.push(this.error("Parse", "invalid JSON: input ended inside a value", this.pending.join("\n"), this.pendingLine));
      this.pending = [];
    }
    if (this.eventData.length > 0) out.push(this.record(this.eventData.join("\n"), this.lineNo));
    this.eventData = [];
    return out;
  }

  private drain(atEnd: boolean): ParsedRecord[] {
    switch (this.mode) {
      case "json":
        return atEnd ? this.wholeDocument() : [];
      case "seq":
        return this.splitOn("\x1e", atEnd);
      case "jq":
        return this.concatenated(atEnd);
      default:
        return this.lines(atEnd);
    }
  }

  private wholeDocument(): ParsedRecord[] {
    const text = this.buffer.trim();
    this.buffer = "";
    return text ? [this.record(text, 1)] : [];
  }

  private splitOn(separator: string, atEnd: boolean): ParsedRecord[] {
    const parts = this.buffer.split(separator);
    this.buffer = atEnd ? "" : parts.pop()!;
    const out: ParsedRecord[] = [];
    for (const p of parts) {
      const t = p.trim();
      if (t) out.push(this.record(t));
    }
    return out;
  }

  private lines(atEnd: boolean): ParsedRecord[] {
    const out: ParsedRecord[] = [];
    const buffer = this.buffer;
    let start = 0;
    for (;;) {
      const nl = buffer.indexOf("\n", start);
      if (nl < 0) break;
      // The common line, `{…}` alone and not inside a pretty-printed value, is parsed right here: the general
      // path's trimming and checks cost as much as JSON.parse itself.
      if (
        this.pending.length === 0 &&
        this.mode !== "event" &&
        buffer.charCodeAt(start) === 0x7b && // "{"
        buffer.charCodeAt(nl - 1) === 0x7d && // "}"
        nl - start <= this.maxRecordBytes
      ) {
        const text = buffer.slice(start, nl);
        const value = tryParse(text);
        if (value !== FAILED && text.indexOf("\r") < 0) {
          this.lineNo++;
          // "{" ... "}" that parses is an object: dataText's check passes, and the line is stored as written
          out.push({ ok: true, index: ++this.index, data: value as Record<string, unknown>, text: dataText(value, text), ascii: this.allAscii });
          start = nl + 1;
          continue;
        }
      }
      this.line(buffer.slice(start, nl), out);
      start = nl + 1;
    }
    this.buffer = this.buffer.slice(start);
    if (atEnd && this.buffer.length > 0) {
      this.line(this.buffer, out);
      this.buffer = "";
    }
    if (!atEnd && this.buffer.length > this.maxRecordBytes * 2) {
      out.push(this.error("Oversize", "record exceeds size limit", this.buffer, this.lineNo + 1));
      this.buffer = "";
    }
    return out;
  }

  private line(raw: string, out: ParsedRecord[]): void {
    this.lineNo++;
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (this.mode === "event") return this.eventLine(line, out);
    if (this.pending.length > 0) {
      // A line that starts a new object at column 0 and parses alone is a new record: the pending value was
      // broken (a truncated line), and must not swallow the valid lines after it.
      if (line.startsWith("{")) {
        const trimmed = line.trim();
        const fresh = tryParse(trimmed);
        if (fresh !== FAILED) {
          out.push(this.error("Parse", "invalid JSON", this.pending.join("\n"), this.pendingLine));
          this.pending = [];
          out.push(this.checked(fresh, trimmed, this.lineNo));
          return;
        }
      }
      this.pending.push(line);
      this.pendingBytes += line.length + 1;
      const t = line.trimStart();
      if (this.pendingBytes > this.maxRecordBytes) {
        out.push(this.error("Oversize", "record exceeds size limit", this.pending.join("\n"), this.pendingLine));
        this.pending = [];
        return;
      }
      // A pretty-printed value can only end on a line that starts with a closing bracket.
      if (t.startsWith("}") || t.startsWith("]")) {
        const text = this.pending.join("\n");
        const value = tryParse(text);
        if (value !== FAILED) {
          this.pending = [];
          out.push(this.checked(value, text, this.pendingLine));
        }
      }
      return;
    }
    const t = line.trim();
    if (t === "") return;
    if (t.length > this.maxRecordBytes) {
      out.push(this.error("Oversize", "record exceeds size limit", t, this.lineNo));
      return;
    }
    const value = tryParse(t);
    if (value !== FAILED) {
      out.push(this.checked(value, t, this.lineNo, this.allAscii));
      return;
    }
    if (this.mode === "jsonl-multiline" && (t.startsWith("{") || t.startsWith("["))) {
      this.pending = [line];
      this.pendingLine = this.lineNo;
      this.pendingBytes = line.length;
      return;
    }
    out.push(this.error("Parse", "invalid JSON", t, this.lineNo));
  }

  private eventLine(line: string, out: ParsedRecord[]): void {
    if (line === "") {
      if (this.eventData.length > 0) out.push(this.record(this.eventData.join("\n"), this.lineNo));
      this.eventData = [];
      return;
    }
    if (line.startsWith("data:")) this.eventData.push(line.slice(line.startsWith("data: ") ? 6 : 5));
    // comments (":") and other fields (event:, id:, retry:) carry no message data
  }

  /** jq-style: whitespace-separated JSON values, found by tracking brackets and strings. */
  private concatenated(atEnd: boolean): ParsedRecord[] {
    const out: ParsedRecord[] = [];
    const s = this.buffer;
    let i = 0;
    let consumed = 0;
    while (i < s.length) {
      while (i < s.length && /\s/.test(s[i])) i++;
      if (i >= s.length) {
        consumed = i;
        break;
      }
      const start = i;
      const end = valueEnd(s, i);
      if (end < 0) break; // incomplete: wait for more
      if (end - start > this.maxRecordBytes) out.push(this.error("Oversize", "record exceeds size limit", s.slice(start, end)));
      else out.push(this.record(s.slice(start, end)));
      i = end;
      consumed = end;
    }
    this.buffer = s.slice(consumed);
    if (atEnd && this.buffer.trim()) {
      out.push(this.record(this.buffer.trim()));
      this.buffer = "";
    }
    return out;
  }

  private record(text: string, line?: number): ParsedRecord {
    if (text.length > this.maxRecordBytes) return this.error("Oversize", "record exceeds size limit", text, line);
    const value = tryParse(text);
    if (value === FAILED) return this.error("Parse", "invalid JSON", text, line);
    return this.checked(value, text.trim(), line);
  }

  /** `text` is the whitespace-trimmed source of `value`. */
  private checked(value: unknown, text: string, line?: number, asciiText = false): ParsedRecord {
    // a record error, not a throw: the stream's --errors policy decides; dataText's own check then always passes
    if (!isJsonObject(value)) return this.error("NotObject", "data must be a JSON object", text, line);
    const stored = dataText(value, text);
    return { ok: true, index: ++this.index, data: value, text: stored, ascii: asciiText && stored === text };
  }

  private error(kind: RecordError["kind"], message: string, text: string, line?: number): RecordError {
    const snippet = text.length > SNIPPET_BYTES ? text.slice(0, SNIPPET_BYTES) + "..." : text;
    const e: RecordError = { ok: false, index: ++this.index, kind, message, snippet };
    if (line !== undefined) e.line = line;
    return e;
  }
}

const FAILED = Symbol("failed");

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return FAILED;
  }
}

/** Enough input to pick a mode: a RFC 7464 separator first, or one complete non-blank line, or 8 KiB. */
function sniffable(head: string): boolean {
  const t = head.trimStart();
  if (t.startsWith("\x1e")) return true;
  if (head.length >= SNIFF_BYTES) return true;
  const nl = t.indexOf("\n");
  return nl >= 0 || /^(data:|event:|id:|:)/.test(t);
}

function sniff(head: string): EffectiveMode {
  const t = head.trimStart();
  if (t.startsWith("\x1e") || head.slice(0, SNIFF_BYTES).includes("\x1e")) return "seq";
  const first = t.split("\n")[0] ?? "";
  if (/^(data:|event:|id:|:)/.test(first)) return "event";
  return "jsonl-multiline";
}

/** End index of the JSON value starting at `i`, or -1 when the text ends first. */
function valueEnd(s: string, i: number): number {
  const c = s[i];
  if (c === "{" || c === "[") {
    let depth = 0;
    let inString = false;
    for (let j = i; j < s.length; j++) {
      const ch = s[j];
      if (inString) {
        if (ch === "\\") j++;
        else if (ch === '"') inString = false;
      } else if (ch === '"') inString = true;
      else if (ch === "{" || ch === "[") depth++;
      else if (ch === "}" || ch === "]") {
        if (--depth === 0) return j + 1;
      }
    }
    return -1;
  }
  if (c === '"') {
    for (let j = i + 1; j < s.length; j++) {
      if (s[j] === "\\") j++;
      else if (s[j] === '"') return j + 1;
    }
    return -1;
  }
  // a scalar runs to the next whitespace or bracket; at the buffer end it may continue in the next chunk
  let j = i;
  while (j < s.length && !/[\s{}[\]"]/.test(s[j])) j++;
  return j < s.length ? Math.max(j, i + 1) : -1;
}
