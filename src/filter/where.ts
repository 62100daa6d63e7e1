// --where: the jq expressions every message must match. Expressions in the shapes fast-where.ts answers run in
// JavaScript with jq's results; any other expression loads jq itself (jq.ts) and runs there, a batch per call, in a
// worker thread: the answers are promises so the caller's thread stays free (Ctrl-C, --timeout) while jq runs.
import { nonBooleanError } from "./where-errors.ts";
import { evalFastWhere, parseFastWhere, type FastWhere, type WhereCode } from "./fast-where.ts";

export interface WhereFilter {
  /** For each envelope JSON text (one message, compact JSON object `{"seq","time","meta":{"tags":[...]},"data":{...}}`), true when EVERY expression matches. */
  matchBatch(envelopes: readonly string[]): Promise<boolean[]>;
  /** The same for `count` envelopes already joined by newlines (saves building one string per message). */
  matchJoined(text: string, count: number): Promise<boolean[]>;
}

/** A filter for the expressions (all must match); jq is loaded only for an expression JavaScript cannot answer. */
export async function compileWhere(expressions: readonly string[]): Promise<WhereFilter> {
  const fast = expressions.map(parseFastWhere);
  if (expressions.length > 0 && fast.every((f) => f !== null)) return fastFilter(expressions, fast as FastWhere[]);
  return (await import("./jq.ts")).compileJqWhere(expressions);
}

/** The same answers as jq.ts's program: per message, a non-boolean value is reported (the first such expression,
 * even when another one rejected the message), an error is no match, and every expression must be true. */
function fastFilter(expressions: readonly string[], fast: FastWhere[]): WhereFilter {
  const codes: WhereCode[] = new Array(fast.length);
  const matches = (envelope: string): boolean => {
    for (let i = 0; i < fast.length; i++) codes[i] = evalFastWhere(fast[i], envelope);
    for (let i = 0; i < fast.length; i++) if (codes[i] === 2) throw nonBooleanError(expressions[i]);
    for (let i = 0; i < fast.length; i++) if (codes[i] !== 1) return false;
    return true;
  };
  return {
    async matchBatch(envelopes) {
      const out = new Array<boolean>(envelopes.length);
      for (let i = 0; i < envelopes.length; i++) out[i] = matches(envelopes[i]);
      return out;
    },
    async matchJoined(text, count) {
      // envelopes never hold a line break (a stored payload has none), so lines are messages
      const out = new Array<boolean>(count);
      let start = 0;
      for (let i = 0; i < count; i++) {
        let end = text.indexOf("\n", start);
        if (end < 0) end = text.length;
        out[i] = matches(text.slice(start, end));
        start = end + 1;
      }
      return out;
    },
  };
}
