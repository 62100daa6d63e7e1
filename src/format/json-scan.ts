// Working on JSON text that JSON.parse has already accepted, so a value can be stored exactly as it was sent
// (digits of big numbers, escapes): finding a member's source text, and dropping insignificant whitespace. Pure.

/**
 * The source text of the top-level member `key` of a valid JSON object text, or null when there is none. With
 * duplicate keys the last one counts, as JSON.parse keeps the last. Keys are compared after unescaping.
 */
export function memberSource(text: string, key: string): string | null {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== 0x7b) return null; // "{"
  let found: string | null = null;
  for (i = skipSpace(text, i + 1); text.charCodeAt(i) === 0x22; ) {
    const keyEnd = valueEnd(text, i);
    const raw = text.slice(i + 1, keyEnd - 1);
    const name = raw.indexOf("\\") < 0 ? raw : (JSON.parse(text.slice(i, keyEnd)) as string);
    const start = skipSpace(text, skipSpace(text, keyEnd) + 1); // past ":"
    const end = valueEnd(text, start);
    if (name === key) found = text.slice(start, end);
    i = skipSpace(text, end);
    if (text.charCodeAt(i) !== 0x2c) break; // ","
    i = skipSpace(text, i + 1);
  }
  return found;
}

function skipSpace(s: string, i: number): number {
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
  }
  return i;
}

/** End of the (valid) JSON value starting at `i`. */
export function valueEnd(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 0x22) {
    for (let j = i + 1; j < s.length; j++) {
      const d = s.charCodeAt(j);
      if (d === 0x5c) j++; // backslash: skip the escaped character
      else if (d === 0x22) return j + 1;
    }
    return s.length;
  }
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const d = s.charCodeAt(j);
      if (d === 0x22) j = valueEnd(s, j) - 1;
      else if (d === 0x7b || d === 0x5b) depth++;
      else if ((d === 0x7d || d === 0x5d) && --depth === 0) return j + 1;
    }
    return s.length;
  }
  // a number, true, false or null: up to the next delimiter
  let j = i;
  while (j < s.length) {
    const d = s.charCodeAt(j);
    if (d === 0x2c || d === 0x7d || d === 0x5d || d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09) break;
    j++;
  }
  return j;
}

/** A valid JSON text without its insignificant whitespace: tokens as written, nothing re-encoded. */
export function compactJson(text: string): string {
  let out = "";
  let start = 0; // start of the run of characters being kept
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = valueEnd(text, i) - 1; // a string, escapes and all
    } else if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      out += text.slice(start, i);
      start = i + 1;
    }
  }
  return out + text.slice(start);
}

/**
 * A valid JSON text with every escaped lone surrogate (`\ud800` without its pair) written as `\ufffd`. JSON.parse
 * accepts them, jq does not: it rejects the whole input. Texts without surrogate escapes come back unchanged.
 */
export function withoutLoneSurrogateEscapes(text: string): string {
  if (!/\\u[dD][89a-fA-F]/.test(text)) return text;
  let out = "";
  let kept = 0; // text before this index is already in out
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) !== 0x5c) continue; // a backslash: an escape inside a string
    if (text.charCodeAt(i + 1) !== 0x75) {
      i++; // \" \\ \n and the rest: skip the escaped character
      continue;
    }
    const unit = parseInt(text.slice(i + 2, i + 6), 16);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 6) === 0x5c && text.charCodeAt(i + 7) === 0x75 ? parseInt(text.slice(i + 8, i + 12), 16) : -1;
      if (next >= 0xdc00 && next <= 0xdfff) {
        i += 11; // a pair: keep both
        continue;
      }
    } else if (unit < 0xdc00 || unit > 0xdfff) {
      i += 5;
      continue;
    }
    out += text.slice(kept, i) + "\\ufffd";
    kept = i + 6;
    i += 5;
  }
  return out + text.slice(kept);
}
