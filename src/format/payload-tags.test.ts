// payloadHasTags reads the tag array from bytes; it must answer exactly as parsing the payload does, whatever
// the tags hold (quotes, commas, brackets, escapes, non-ASCII) and however they were escaped when stored.
import { expect, test } from "bun:test";
import { payloadHasTags, payloadText, tagsOfText, wantedTags } from "./payload.ts";

const enc = new TextEncoder();
const reference = (payload: string, wanted: string[]) => {
  const tags = tagsOfText(payload) ?? [];
  return wanted.every((t) => tags.includes(t));
};

test("answers as a parse does on random tags and wanted sets, stored as JSON.stringify writes them", () => {
  const alphabet = ["a", "b", "t1", ",", "]", "[", '"', "\\", "é", "😀", " ", "\u0001", '","', "}", '},"data":'];
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const word = () => Array.from({ length: 1 + rand(3) }, () => alphabet[rand(alphabet.length)]).join("");
  for (let i = 0; i < 5000; i++) {
    const tags = Array.from({ length: rand(4) }, word);
    const wanted = Array.from({ length: 1 + rand(3) }, () => (rand(2) && tags.length ? tags[rand(tags.length)] : word()));
    const text = payloadText({ n: i }, tags);
    expect(payloadHasTags(enc.encode(text), wantedTags(wanted))).toBe(reference(text, wanted));
  }
});

test("tags stored with other escapes, extra meta keys, or no tags at all", () => {
  const cases: Array<[string, string[], boolean]> = [
    [String.raw`{"meta":{"tags":["\u0061b"]},"data":{}}`, ["ab"], true], // escaped differently than JSON.stringify would
    [String.raw`{"meta":{"tags":["a\"b"]},"data":{}}`, ['a"b'], true],
    [`{"meta":{"tags":["x","y"],"origin":{"host":"h","pool":"p","seq":1,"time":"t"}},"data":{}}`, ["y", "x"], true],
    [`{"meta":{"tags":["x"],"origin":{"host":"y"}},"data":{}}`, ["y"], false],
    [`{"meta":{"tags":[]},"data":{"tags":["x"]}}`, ["x"], false],
    [`{"meta":{"tags":["x"]},"data":{}}`, [], true],
    [`{"meta":{"tags":["xy"]},"data":{}}`, ["x"], false],
  ];
  for (const [text, wanted, expected] of cases) {
    expect({ text, wanted, got: payloadHasTags(enc.encode(text), wantedTags(wanted)) }).toEqual({ text, wanted, got: expected });
  }
});
