// memberSource against JSON.parse: the source it finds parses to the member JSON.parse returns.
import { describe, expect, test } from "bun:test";
import { compactJson, memberSource, withoutLoneSurrogateEscapes } from "./json-scan.ts";

describe("memberSource", () => {
  test("finds a member's exact text among every kind of neighbour", () => {
    const text = ' { "tags" : ["a", "}\\"]"] , "n": -1.5e3, "t": true, "z": null, "s": "x,}\\\\", "data" : {"id": 12345678901234567890, "a": [1, {"b": "]"}]} ,"durability":"fast" } ';
    expect(memberSource(text, "data")).toBe('{"id": 12345678901234567890, "a": [1, {"b": "]"}]}');
    expect(memberSource(text, "n")).toBe("-1.5e3");
    expect(memberSource(text, "s")).toBe('"x,}\\\\"');
    expect(memberSource(text, "durability")).toBe('"fast"');
    expect(memberSource(text, "missing")).toBeNull();
  });

  test("the last duplicate wins and keys are unescaped, as in JSON.parse", () => {
    expect(memberSource('{"data":{"a":1},"d\\u0061ta":{"b":2}}', "data")).toBe('{"b":2}');
    expect(memberSource("{}", "data")).toBeNull();
    expect(memberSource("[1]", "data")).toBeNull();
  });

  test("compactJson drops only the whitespace between tokens", () => {
    expect(compactJson('{\n  "id": 12345678901234567890,\r\n\t"s": "a b\\" c",\n  "e": "\\u00e9", "n": [ 1.50 , true ]\n}')).toBe('{"id":12345678901234567890,"s":"a b\\" c","e":"\\u00e9","n":[1.50,true]}');
    for (const v of [{}, [], { a: [{ b: " x " }, null] }, { "k y": "v\nw", z: [1, [2, { q: "\\" }]] }]) {
      expect(compactJson(JSON.stringify(v, null, 3))).toBe(JSON.stringify(v));
    }
  });

  test("agrees with JSON.parse on generated objects", () => {
    let state = 5;
    const rand = (n: number) => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) % n);
    const value = (depth: number): unknown => {
      const k = rand(depth > 2 ? 5 : 7);
      if (k === 0) return rand(2) === 0 ? rand(100000) - 50000 : (rand(1000) - 500) / 7;
      if (k === 1) return ['', 'a"b', "x,y}", "\\", "é\n", "]"][rand(6)];
      if (k === 2) return [true, false, null][rand(3)];
      if (k === 3 || k === 4) return rand(3) === 0 ? "s" : null;
      if (k === 5) return Array.from({ length: rand(4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: rand(4) }, (_, i) => [`k${i}${["", "\"", "}", " "][rand(4)]}`, value(depth + 1)]));
    };
    for (let n = 0; n < 500; n++) {
      const obj: Record<string, unknown> = { a: value(0), data: value(0), z: value(0) };
      const text = JSON.stringify(obj, null, rand(2) === 0 ? undefined : 1);
      expect(JSON.parse(memberSource(text, "data")!)).toEqual(obj.data);
      expect(JSON.parse(memberSource(text, "z")!)).toEqual(obj.z);
      expect(compactJson(text)).toBe(JSON.stringify(obj));
    }
  });
});

describe("withoutLoneSurrogateEscapes", () => {
  // what JSON.parse gives, with every lone surrogate as U+FFFD (keys and values)
  const fixed = (v: unknown): unknown => {
    const s = (x: string) => x.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
    if (typeof v === "string") return s(v);
    if (Array.isArray(v)) return v.map(fixed);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [s(k), fixed(x)]));
    return v;
  };

  test("lone surrogate escapes become \\ufffd; pairs, other escapes and escaped backslashes stay", () => {
    const B = "\\"; // one backslash in the JSON text
    const cases: Array<[string, string]> = [
      [`{"a":"${B}ud83d${B}ude00"}`, `{"a":"${B}ud83d${B}ude00"}`], // a pair
      [`{"a":"x${B}ud800y"}`, `{"a":"x${B}ufffdy"}`], // lone high
      [`{"a":"${B}uDC00"}`, `{"a":"${B}ufffd"}`], // lone low, upper case
      [`{"a":"${B}ud800${B}ud800${B}udc00"}`, `{"a":"${B}ufffd${B}ud800${B}udc00"}`], // lone high, then a pair
      [`{"a":"${B}${B}ud800"}`, `{"a":"${B}${B}ud800"}`], // an escaped backslash, then plain text
      [`{"${B}ud800":["${B}n${B}u00e9${B}"${B}ud800", 1]}`, `{"${B}ufffd":["${B}n${B}u00e9${B}"${B}ufffd", 1]}`], // key, array, after escapes
      [`{"a":"plain"}`, `{"a":"plain"}`],
    ];
    for (const [input, expected] of cases) {
      const out = withoutLoneSurrogateEscapes(input);
      expect({ input, out }).toEqual({ input, out: expected });
      expect(JSON.parse(out)).toEqual(fixed(JSON.parse(input)));
    }
  });
});
