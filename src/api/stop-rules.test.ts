// The stop rules against a plain reference: for random match sequences split into history and live batches,
// what StopRules delivers (and where it stops) equals what the rules say for the whole sequence at once.
import { expect, test } from "bun:test";
import { StopRules, type StopRuleOptions } from "./stop-rules.ts";

/** The rules over a whole sequence: `history` matches first, then `live` ones. */
function reference(history: number[], live: number[], o: StopRuleOptions): { out: number[]; stop: string | null } {
  if (o.one) {
    const needed = o.last !== undefined ? Math.max(1, o.last) : 1;
    if (o.last !== undefined && history.length >= needed) return { out: [history[history.length - 1]!], stop: "one" };
    const all = [...history, ...live];
    return all.length >= needed ? { out: [all[needed - 1]!], stop: "one" } : { out: [], stop: null };
  }
  const all = [...history, ...live];
  if (o.max !== undefined && all.length >= o.max) return { out: all.slice(0, o.max), stop: "max" };
  return { out: all, stop: null };
}

/** StopRules fed the same matches in random batches, the history's end announced between the two parts. */
function run(history: number[], live: number[], o: StopRuleOptions, rand: () => number): { out: number[]; stop: string | null } {
  const rules = new StopRules<number>(o);
  const out: number[] = [];
  const feed = (items: number[], isHistory: boolean): string | null => {
    for (let i = 0; i < items.length; ) {
      const n = Math.floor(rand() * 4); // empty batches too
      const { messages, stop } = rules.take(items.slice(i, i + n), isHistory);
      out.push(...messages);
      if (stop) return stop;
      i += n;
    }
    return null;
  };
  const stopped = feed(history, true);
  if (stopped) return { out, stop: stopped };
  const picked = rules.historyEnded();
  if (picked !== null) return { out: [...out, picked], stop: "one" };
  return { out, stop: feed(live, false) };
}

test("StopRules equals the rules applied to the whole sequence, however it is batched", () => {
  let seed = 11;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
  for (let i = 0; i < 3000; i++) {
    const h = Math.floor(rand() * 8);
    const l = Math.floor(rand() * 8);
    const history = Array.from({ length: h }, (_, k) => k + 1);
    const live = Array.from({ length: l }, (_, k) => h + k + 1);
    const shape = Math.floor(rand() * 4);
    const o: StopRuleOptions =
      shape === 0 ? { one: true } : shape === 1 ? { one: true, last: Math.floor(rand() * 6) } : shape === 2 ? { max: 1 + Math.floor(rand() * 8) } : {};
    expect({ history, live, o, got: run(history, live, o, rand) }).toEqual({ history, live, o, got: reference(history, live, o) });
  }
});
