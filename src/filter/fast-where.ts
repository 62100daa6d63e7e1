// The commonest --where shapes answered in JavaScript, exactly as jq answers them: a path (`.data.ok`) and a path
// compared with a literal (`.data.status == "green"`, `.data.ms > 50`, `.meta.tags == null`). Loading jq-web
// costs ~30 ms and every jq call ~2.5 ms (jq recompiles its builtins each time); these shapes need neither.
// Anything else (pipes, functions, computed values, other paths) gets null here and goes to jq.
// Works on the envelope's JSON text, not a parsed value: jq 1.7 compares number literals with all their digits
// (100000000000000000001 != 100000000000000000000), which JSON.parse would round away. A message nested deeper
// than jq reads (jq-limits.ts) matches nothing, as under jq. Pure.
import { memberSource } from "../format/json-scan.ts";
import { tooDeepForJq } from "./jq-limits.ts";

/** The codes of jq.ts's _pls_where: 1 true, 0 false/null, 2 a value that is not a boolean, 3 an error. */
export type WhereCode = 0 | 1 | 2 | 3;

type Op = "==" | "!=" | "<" | "<=" | ">" | ">=";
type Literal = { rank: 0 | 1 | 2 } | { rank: 3; number: Decimal | null; double: number } | { rank: 4; text: string };

export interface FastWhere {
  path: string[];
  op: Op | null;
  literal: Literal | null;
}

// jq keywords: `.if` and friends are parsed differently by some jq versions, so they go to jq itself
const KEYWORDS = new Set(["and", "or", "not", "if", "then", "elif", "else", "end", "as", "def", "reduce", "foreach", "try", "catch", "label", "import", "include", "__loc__"]);
const SHAPE = /^\s*((?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*(?:(==|!=|<=|>=|<|>)\s*(\S(?:.*\S)?))?\s*$/s;
const NUMBER = /^(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

/** The expression in a shape answered here, or null (then jq evaluates it). */
export function parseFastWhere(expression: string): FastWhere | null {
  const m = SHAPE.exec(expression);
  if (!m) return null;
  const path = m[1].slice(1).split(".");
  if (path.some((k) => KEYWORDS.has(k))) return null;
  if (m[2] === undefined) return { path, op: null, literal: null };
  const literal = parseLiteral(m[3]);
  return literal ? { path, op: m[2] as Op, literal } : null;
}

function parseLiteral(text: string): Literal | null {
  if (text === "null") return { rank: 0 };
  if (text === "false") return { rank: 1 };
  if (text === "true") return { rank: 2 };
  // jq 1.7 keeps a number literal's digits and compares two of them exactly; a minus sign is jq's negation,
  // whose result is a plain double, compared as doubles (-100000000000000000000 == -100000000000000000001)
  if (NUMBER.test(text)) return { rank: 3, number: decimal(text), double: Number(text) };
  if (text.charCodeAt(0) === 0x2d && NUMBER.test(text.slice(1))) return { rank: 3, number: null, double: -Number(text.slice(1)) };
  // a jq string literal is a JSON string, except for \( interpolation
  if (text.startsWith('"') && text.endsWith('"') && !text.includes("\\(")) {
    try {
      const value = JSON.parse(text);
      // jq refuses an escaped lone surrogate in a program (a compile error, reported by jq.ts)
      if (typeof value === "string" && jqString(value) === value) return { rank: 4, text: value };
    } catch {
      return null;
    }
  }
  return null;
}

/** The code for one message; `envelope` is its compact JSON text. */
export function evalFastWhere(e: FastWhere, envelope: string): WhereCode {
  const code = answer(e, envelope);
  // jq cannot read a message nested deeper than it allows, so it matches nothing (looked at only when it would count)
  return (code === 1 || code === 2) && tooDeepForJq(envelope) ? 3 : code;
}

function answer(e: FastWhere, envelope: string): WhereCode {
  let value: string | null = envelope; // source text of the current value; null stands for jq's null
  for (const key of e.path) {
    if (value === null || value === "null") {
      value = null; // null.key is null
      continue;
    }
    if (value.charCodeAt(0) !== 0x7b) return 3; // .key of a number, string, boolean or array: a jq error
    value = memberSource(value, key);
  }
  if (e.op === null) {
    if (value === null || value === "null" || value === "false") return 0;
    return value === "true" ? 1 : 2;
  }
  const c = compare(value, e.literal!);
  switch (e.op) {
    case "==": return c === 0 ? 1 : 0;
    case "!=": return c !== 0 ? 1 : 0;
    case "<": return c < 0 ? 1 : 0;
    case "<=": return c <= 0 ? 1 : 0;
    case ">": return c > 0 ? 1 : 0;
    case ">=": return c >= 0 ? 1 : 0;
  }
}

/** jq's order: null < false < true < numbers < strings < arrays < objects; numbers exactly, strings by code point. */
function compare(value: string | null, literal: Literal): number {
  const rank = rankOf(value);
  if (rank !== literal.rank) return rank - literal.rank;
  if (literal.rank === 3) {
    if (literal.number) return compareDecimal(decimal(value!), literal.number);
    const v = Number(value);
    return v < literal.double ? -1 : v > literal.double ? 1 : 0;
  }
  if (literal.rank === 4) return compareCodePoints(jqString(JSON.parse(value!) as string), literal.text);
  return 0;
}

function rankOf(value: string | null): number {
  if (value === null || value === "null") return 0;
  if (value === "false") return 1;
  if (value === "true") return 2;
  const c = value.charCodeAt(0);
  if (c === 0x22) return 4;
  if (c === 0x5b) return 5;
  if (c === 0x7b) return 6;
  return 3;
}

/** A decimal number as sign, significant digits (no leading or trailing zeros) and the exponent of its first digit. */
interface Decimal {
  negative: boolean;
  digits: string; // "" for zero
  exponent: number;
}

function decimal(text: string): Decimal {
  let i = 0;
  const negative = text.charCodeAt(0) === 0x2d;
  if (negative) i = 1;
  const e = text.search(/[eE]/);
  const mantissa = text.slice(i, e < 0 ? text.length : e);
  const exp = e < 0 ? 0 : Number(text.slice(e + 1));
  const dot = mantissa.indexOf(".");
  const intPart = dot < 0 ? mantissa : mantissa.slice(0, dot);
  const all = intPart + (dot < 0 ? "" : mantissa.slice(dot + 1));
  const lead = all.search(/[1-9]/);
  if (lead < 0) return { negative: false, digits: "", exponent: 0 }; // zero, -0 included
  const digits = all.slice(lead).replace(/0+$/, "");
  return { negative, digits, exponent: intPart.length - lead + exp };
}

function compareDecimal(a: Decimal, b: Decimal): number {
  const sa = a.digits === "" ? 0 : a.negative ? -1 : 1;
  const sb = b.digits === "" ? 0 : b.negative ? -1 : 1;
  if (sa !== sb || sa === 0) return sa - sb;
  let magnitude: number;
  if (a.exponent !== b.exponent) magnitude = a.exponent - b.exponent;
  else magnitude = a.digits < b.digits ? -1 : a.digits > b.digits ? 1 : 0; // same length prefix order = numeric
  return sa * Math.sign(magnitude);
}

/** jq's strings hold Unicode scalar values: a lone surrogate in a message reads as U+FFFD (see jq.ts). */
function jqString(s: string): string {
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
}

/** Order by code point (jq compares UTF-8 bytes), not by UTF-16 unit as `<` on strings does. */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // a surrogate (0xD800-0xDFFF) starts a code point above every BMP unit that is not itself a surrogate
    const sx = x >= 0xd800 && x <= 0xdfff;
    const sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy) return sx ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
