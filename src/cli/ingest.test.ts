// The stream splitter on its own: every input format, fed whole and split at every possible point.
import { describe, expect, test } from "bun:test";
import { RecordSplitter, type InputMode, type ParsedRecord } from "./ingest.ts";

function run(mode: InputMode, chunks: string[]): ParsedRecord[] {
  const s = new RecordSplitter(mode, 1024);
  const out: ParsedRecord[] = [];
  for (const c of chunks) out.push(...s.push(c));
  out.push(...s.end());
  return out;
}

const ok = (rs: ParsedRecord[]): unknown[] => rs.filter((r) => r.ok).map((r) => (r.ok ? r.data : null));
const bad = (rs: ParsedRecord[]): unknown[] => rs.filter((r) => !r.ok).map((r) => (r.ok ? null : r.kind));

/** The same records whatever the chunking: whole, and cut in two at every position. */
function everySplit(mode: InputMode, input: string, expectOk: unknown[], expectBad: string[] = []) {
  for (let cut = 0; cut <= input.length; cut++) {
    const rs = run(mode, [input.slice(0, cut), input.slice(cut)]);
    expect([cut, ok(rs)] as unknown[]).toEqual([cut, expectOk]);
    expect([cut, bad(rs)] as unknown[]).toEqual([cut, expectBad]);
  }
}

describe("RecordSplitter", () => {
  test("JSON Lines (explicit), CRLF and blank lines", () => {
    everySplit("jsonl", '{"a":1}\r\n\n{"b":"x y"}\n', [{ a: 1 }, { b: "x y" }]);
  });

  test("auto: pretty-printed values, then a truncated line followed by good ones", () => {
    everySplit("auto", '{\n  "p": [1,\n 2]\n}\n{"q":2}\n', [{ p: [1, 2] }, { q: 2 }]);
    everySplit("auto", '{"a":1\n{"b":2}\n{"c":3}\n', [{ b: 2 }, { c: 3 }], ["Parse"]);
  });

  test("auto detects RFC 7464 JSON-seq and SSE data lines", () => {
    everySplit("auto", '\x1e{"s":1}\n\x1e{"s":2}\n', [{ s: 1 }, { s: 2 }]);
    everySplit("auto", 'data: {"e":1}\n\n: comment\nevent: x\ndata: {"e":\ndata: 2}\n\n', [{ e: 1 }, { e: 2 }]);
  });

  test("jq-style concatenated values, with brackets and escapes inside strings", () => {
    everySplit("jq", '{"j":"a}b"} {"k":"q\\"}"}\n{"l":[1,{"m":2}]}', [{ j: "a}b" }, { k: 'q"}' }, { l: [1, { m: 2 }] }]);
  });

  test("one JSON document", () => {
    everySplit("json", '{\n "whole": {"x": [1, 2]}\n}\n', [{ whole: { x: [1, 2] } }]);
  });

  test("non-objects, invalid JSON and oversize records are reported, not stored", () => {
    expect(bad(run("jsonl", ["[1]\n", '"s"\n', "nope\n", `{"big":"${"x".repeat(2000)}"}\n`]))).toEqual(["NotObject", "NotObject", "Parse", "Oversize"]);
    const r = run("jsonl", ["{}\n", "oops\n"])[1];
    expect(r.ok ? null : { index: r.index, line: r.line, snippet: r.snippet }).toEqual({ index: 2, line: 2, snippet: "oops" });
  });

  test("a record reaches the caller as soon as its line is complete (no waiting for more input)", () => {
    const s = new RecordSplitter("auto", 1024);
    expect(ok(s.push('{"first":1}\n'))).toEqual([{ first: 1 }]);
    expect(ok(s.push('{"second":'))).toEqual([]);
    expect(ok(s.push("2}\n"))).toEqual([{ second: 2 }]);
  });
});
