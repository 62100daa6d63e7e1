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
    // the text to store is the record's JSON on one line, whichever path split it
    for (const r of rs) if (r.ok) expect([cut, JSON.parse(r.text), /[\r\n]/.test(r.text)]).toEqual([cut, r.data, false]);
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

  test("stored text: a one-line record as written, a multi-line one or one with a CR inside without its spaces", () => {
    const rs = run("auto", ['{"id": 12345678901234567890, "f": 1.50}\n', '  {"t":1}\t\n', '{\n "p": "\\u00e9"\n}\n', '{"a":1,\r"b":2}\n']);
    expect(rs.map((r): string => (r.ok ? r.text : r.kind))).toEqual(['{"id": 12345678901234567890, "f": 1.50}', '{"t":1}', '{"p":"\\u00e9"}', '{"a":1,"b":2}']);
  });

  test("ascii: only for texts cut from chunks that were all ASCII so far", () => {
    const s = new RecordSplitter("auto", 1024);
    const flags = (rs: ParsedRecord[]) => rs.map((r) => (r.ok ? r.ascii : null));
    expect(flags(s.push('{"a":1}\n{\n"b":"\\u00e9"\n}\n', true))).toEqual([true, false]);
    expect(flags(s.push('{"c":"é"}\n', false))).toEqual([false]);
    expect(flags(s.push('{"d":1}\n', true))).toEqual([false]);
  });

  test("a record reaches the caller as soon as its line is complete (no waiting for more input)", () => {
    const s = new RecordSplitter("auto", 1024);
    expect(ok(s.push('{"first":1}\n'))).toEqual([{ first: 1 }]);
    expect(ok(s.push('{"second":'))).toEqual([]);
    expect(ok(s.push("2}\n"))).toEqual([{ second: 2 }]);
  });
});
