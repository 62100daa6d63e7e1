// Pretty (and coloured) JSON from JSON text, token by token: a stored message is shown exactly as it was
// written, numbers included (parsing it first would round a 64-bit id and turn 1.50 into 1.5). The layout is
// JSON.stringify(value, null, 2)'s and the colours colorJson's, so nothing else changes.
import { JSON_COLORS, colorJson } from "./output.ts";

/**
 * `text` (valid JSON) laid out with two-space indentation, or on one line with `compact` (coloured JSON Lines for
 * `--color always` into a pipe); falls back to parsing for what it cannot read.
 */
export function prettyText(text: string, color: boolean, compact = false): string {
  try {
    const p = new Printer(text, color, compact);
    const out = p.value("");
    if (p.skip() === text.length) return out;
  } catch {
    // not reached for valid JSON (deep nesting aside): fall through
  }
  const value: unknown = JSON.parse(text);
  if (compact) return color ? colorJson(value, "", "", true) : JSON.stringify(value);
  return color ? colorJson(value) : JSON.stringify(value, null, 2);
}

class Printer {
  private i = 0;

  constructor(
    private readonly s: string,
    private readonly color: boolean,
    private readonly compact: boolean,
  ) {}

  /** Index of the next character that is not JSON whitespace. */
  skip(): number {
    const s = this.s;
    let i = this.i;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    }
    this.i = i;
    return i;
  }

  value(indent: string): string {
    const s = this.s;
    const c = s.charCodeAt(this.skip());
    if (c === 0x7b) return this.container(indent, 0x7d, true);
    if (c === 0x5b) return this.container(indent, 0x5d, false);
    if (c === 0x22) return this.paint("string", this.string());
    const start = this.i;
    let j = start;
    while (j < s.length && !isDelimiter(s.charCodeAt(j))) j++;
    if (j === start) throw new Error("unexpected character");
    this.i = j;
    const token = s.slice(start, j);
    return this.paint(token === "null" ? "null" : token === "true" || token === "false" ? "boolean" : "number", token);
  }

  private container(indent: string, close: number, isObject: boolean): string {
    const s = this.s;
    this.i++;
    if (s.charCodeAt(this.skip()) === close) {
      this.i++;
      return isObject ? "{}" : "[]";
    }
    const inner = this.compact ? "" : indent + "  ";
    const newline = this.compact ? "" : "\n";
    let out = isObject ? "{" + newline : "[" + newline;
    for (;;) {
      out += inner;
      if (isObject) {
        this.skip();
        out += this.paint("key", this.string());
        if (s.charCodeAt(this.skip()) !== 0x3a) throw new Error("expected ':'");
        this.i++;
        out += this.compact ? ":" : ": ";
      }
      out += this.value(inner);
      const next = s.charCodeAt(this.skip());
      this.i++;
      if (next === 0x2c) {
        out += "," + newline;
        continue;
      }
      if (next !== close) throw new Error("expected ',' or the container's end");
      return `${out}${newline}${this.compact ? "" : indent}${isObject ? "}" : "]"}`;
    }
  }

  /** The string token at the cursor, as written (escapes kept). */
  private string(): string {
    const s = this.s;
    const start = this.i;
    if (s.charCodeAt(start) !== 0x22) throw new Error("expected a string");
    for (let j = start + 1; j < s.length; j++) {
      const c = s.charCodeAt(j);
      if (c === 0x5c) j++;
      else if (c === 0x22) {
        this.i = j + 1;
        return s.slice(start, j + 1);
      }
    }
    throw new Error("unterminated string");
  }

  private paint(kind: keyof typeof JSON_COLORS, token: string): string {
    return this.color ? `\x1b[${JSON_COLORS[kind]}m${token}\x1b[39m` : token;
  }
}

function isDelimiter(c: number): boolean {
  return c === 0x2c || c === 0x7d || c === 0x5d || c === 0x3a || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
