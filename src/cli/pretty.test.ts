// prettyText lays out JSON text exactly as JSON.stringify(value, null, 2) / colorJson do, keeping tokens as written.
import { describe, expect, test } from "bun:test";
import { colorJson } from "./output.ts";
import { prettyText } from "./pretty.ts";

describe("prettyText", () => {
  test("same layout and colours as the value-based printers on generated values, compact or spaced input", () => {
    let state = 11;
    const rand = (n: number) => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) % n);
    const value = (depth: number): unknown => {
      const k = rand(depth > 3 ? 5 : 8);
      if (k === 0) return rand(2) === 0 ? rand(100000) - 50000 : (rand(100000) - 50000) / 64;
      if (k === 1) return ["", 'q"uote', "back\\slash", "é 日本", "]},:", "line\nbreak"][rand(6)];
      if (k === 2) return [true, false, null][rand(3)];
      if (k === 3 || k === 4) return rand(3) === 0 ? [] : {};
      if (k === 5) return Array.from({ length: rand(4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: rand(5) }, (_, i) => [`k${i}${["", ":", "\"", " "][rand(4)]}`, value(depth + 1)]));
    };
    for (let n = 0; n < 400; n++) {
      const v = value(0);
      for (const text of [JSON.stringify(v), JSON.stringify(v, null, 4)]) {
        expect(prettyText(text, false)).toBe(JSON.stringify(v, null, 2));
        expect(prettyText(text, true)).toBe(colorJson(v));
        // one line (coloured JSON Lines for --color always into a pipe)
        expect(prettyText(text, false, true)).toBe(JSON.stringify(v));
        expect(prettyText(text, true, true)).toBe(colorJson(v, "", "", true));
        expect(prettyText(text, true, true).replace(/\x1b\[[0-9;]*m/g, "")).toBe(JSON.stringify(v));
      }
    }
  });

  test("numbers and escapes stay as written; a 64-bit id keeps its digits", () => {
    expect(prettyText('{"id": 12345678901234567890, "p": 1.50, "s": "\\u00e9"}', false)).toBe('{\n  "id": 12345678901234567890,\n  "p": 1.50,\n  "s": "\\u00e9"\n}');
  });
});
