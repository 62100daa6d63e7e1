// The --where expressions answered in JavaScript give jq's answers: which shapes are taken, and a differential
// test of 200 generated expressions against real jq (jq.ts) on generated envelopes, written as text so they carry
// what JSON.parse would lose or hide: long numbers, exponents, duplicate keys, escapes, lone surrogates, spaces.
import { describe, expect, test } from "bun:test";
import { PlasmiteError } from "../errors.ts";
import { evalFastWhere, parseFastWhere } from "./fast-where.ts";
import { compileJqWhere } from "./jq.ts";
import { compileWhere } from "./where.ts";

describe("shapes answered in JavaScript", () => {
  test("paths, and paths compared with a null, boolean, number or string literal", () => {
    for (const e of [".data.ok", ".data.a.b_2", " .seq ", '.data.status == "green"', ".data.ms > 50", ".data.x<=1.5e3", ".meta.tags == null", '.data.s != "a \\" b"', ".data.n >= 0", ".data.t > -5", ".data.t == -1e400"]) {
      expect({ e, fast: parseFastWhere(e) !== null }).toEqual({ e, fast: true });
    }
  });

  test("everything else goes to jq", () => {
    for (const e of ['.data.s == "\\ud800"', ".", ".data.a | not", ".data.a == 01", '.data.a == "x\\(1)"', ".data[0]", '.data["a"]', ".data.a?", ".data.if", "(.data.a == 1)", ".data.a == 1 # note", ".data.a == 1 and .data.b", "true", '.data.a == "a" + "b"', ".data.a == .data.b", ".data.a == [1]", ".data.a == {}", "$__loc__", "", ".data.a == .5"]) {
      expect({ e, fast: parseFastWhere(e) !== null }).toEqual({ e, fast: false });
    }
  });

  test("a filter of fast expressions never loads jq; one other expression sends all of them to jq", async () => {
    const env = (data: string) => `{"seq":1,"time":"t","meta":{"tags":[]},"data":${data}}`;
    const fast = await compileWhere([".data.n > 1", ".data.ok"]);
    expect(await fast.matchBatch([env('{"n":2,"ok":true}'), env('{"n":2,"ok":false}'), env('{"n":1,"ok":true}')])).toEqual([true, false, false]);
    expect(await fast.matchJoined([env('{"n":2,"ok":true}'), env('{"n":0}')].join("\n"), 2)).toEqual([true, false]);
    const err = await (async () => {
      try {
        await fast.matchBatch([env('{"n":0,"ok":"yes"}')]);
      } catch (e) {
        return e as PlasmiteError;
      }
    })();
    expect(err).toBeInstanceOf(PlasmiteError);
    expect(err!.message).toBe("--where expression '.data.ok' yielded a value that is not true or false");
    const mixed = await compileWhere([".data.n > 1", ".data.tags | length > 0"]);
    expect(await mixed.matchBatch([env('{"n":2,"tags":[1]}'), env('{"n":2,"tags":[]}')])).toEqual([true, false]);
  });
});

// ---------- differential test against jq ----------

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NUMBERS = ["0", "-0", "0.0", "1", "1.0", "1.5", "2", "-3", "-3.0", "-1", "-0.1000000000000000000001", "-100000000000000000001", "-1e401", "50", "49.999", "1e3", "1E+2", "1000", "0.1", "0.10", "0.1000000000000000055511151231257827", "100000000000000000000", "100000000000000000001", "9007199254740993", "1e400", "-1e400", "123456789012345678901234567890"];
const STRINGS = ['""', '"a"', '"b"', '"green"', '"é"', '"\\u00e9"', '"𝄞"', '"\\ud834\\udd1e"', '"\\ud800"', '"\\uffff"', '"\uffff"', '"x y"', '"a\\nb"', '"A"', '"aa"'];
const LITERALS = ["null", "true", "false", "0", "-0", "-1", "-3", "-1.0", "-0.1", "-100000000000000000000", "-1e400", "1", "1.0", "1.5", "50", "0.1", "1e3", "1E2", "100000000000000000000", "100000000000000000001", "9007199254740992", "1e400", ...STRINGS.filter((s) => s !== '"\uffff"' && s !== '"\\ud800"')];
const PATHS = [".data.a", ".data.b", ".data.s", ".data.o.x", ".data.o", ".data.missing", ".data.n.x", ".seq", ".meta.tags", ".data.l"];
const OPS = ["==", "!=", "<", "<=", ">", ">="];

function scalar(r: () => number): string {
  const k = r();
  if (k < 0.45) return NUMBERS[Math.floor(r() * NUMBERS.length)];
  if (k < 0.8) return STRINGS[Math.floor(r() * STRINGS.length)];
  return ["true", "false", "null"][Math.floor(r() * 3)];
}

/** One envelope as text: data with a, b, s, o (an object or not), l (an array), n, sometimes a duplicate key or spaces. */
function envelopeText(r: () => number, seq: number): string {
  const sp = () => (r() < 0.2 ? " " : "");
  const members: string[] = [];
  const put = (k: string, v: string) => members.push(`${sp()}"${k}"${sp()}:${sp()}${v}${sp()}`);
  if (r() < 0.9) put("a", scalar(r));
  if (r() < 0.8) put("b", scalar(r));
  if (r() < 0.8) put("s", STRINGS[Math.floor(r() * STRINGS.length)]);
  if (r() < 0.7) put("o", r() < 0.6 ? `{${sp()}"x"${sp()}:${sp()}${scalar(r)}${sp()}}` : scalar(r));
  if (r() < 0.5) put("l", `[${scalar(r)},${scalar(r)}]`);
  if (r() < 0.5) put("n", scalar(r));
  if (r() < 0.15) put("a", scalar(r)); // a duplicate: the last one counts, in jq as in JSON.parse
  return `{"seq":${seq},"time":"2026-11-27T00:00:00Z","meta":{"tags":${r() < 0.5 ? "[]" : '["x"]'}},"data":{${members.join(",")}}}`;
}

describe("the same answers as jq", () => {
  test("generated comparisons on generated envelopes", async () => {
    const r = rng(Number(process.env.PLASMITE_WHERE_SEED ?? 20261127));
    const envelopes = Array.from({ length: 400 }, (_, i) => envelopeText(r, i + 1));
    for (const e of envelopes) expect(() => JSON.parse(e)).not.toThrow();
    let compared = 0;
    for (let k = 0; k < 200; k++) {
      const expr = `${PATHS[Math.floor(r() * PATHS.length)]} ${OPS[Math.floor(r() * OPS.length)]} ${LITERALS[Math.floor(r() * LITERALS.length)]}`;
      const fast = parseFastWhere(expr);
      expect({ expr, fast: fast !== null }).toEqual({ expr, fast: true });
      const js = envelopes.map((e) => evalFastWhere(fast!, e) === 1);
      const jq = await (await compileJqWhere([expr])).matchBatch(envelopes);
      const differing = envelopes.filter((_, i) => js[i] !== jq[i]).slice(0, 3);
      expect({ expr, differing }).toEqual({ expr, differing: [] });
      compared += envelopes.length;
    }
    expect(compared).toBe(80_000);
  }, 60_000);

  test("bare paths: true matches, false and null do not, any other value is a Usage error in both", async () => {
    const r = rng(7);
    const envelopes = Array.from({ length: 60 }, (_, i) => envelopeText(r, i + 1));
    for (const path of [".data.a", ".data.o.x", ".data.missing", ".data.s.x"]) {
      const js = await compileWhere([path]);
      const jq = await compileJqWhere([path]);
      for (const e of envelopes) {
        const outcome = async (f: typeof js) => {
          try {
            return (await f.matchBatch([e]))[0];
          } catch (err) {
            return (err as PlasmiteError).message;
          }
        };
        expect({ path, e, js: await outcome(js) }).toEqual({ path, e, js: await outcome(jq) });
      }
    }
  }, 60_000);
});
