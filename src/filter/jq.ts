// The `--where` filter on real jq (jq-web's wasm build), for expressions fast-where.ts does not answer (see
// where.ts): compiled once, then run over whole batches of message envelopes in a Worker (jq-worker.ts), so the
// main thread stays free for Ctrl-C and timers however long an expression runs. Must never call jq once per
// message (every call re-runs jq's main) and never load jq before compileJqWhere is called.
// State: one jq worker per process, started on first use, ended (and started afresh by the next call) after a
// crash or a runaway expression.

import { PlasmiteError } from "../errors.ts";
import { withoutLoneSurrogateEscapes } from "../format/json-scan.ts";
import { JQ_MEMORY_LIMIT_BYTES, tooDeepForJq } from "./jq-limits.ts";
import { jqWorkerMain, type JqWorkerReply, type JqWorkerRequest, type JqWorkerStart } from "./jq-worker.ts";
import { WHERE_EXAMPLE as EXAMPLE, nonBooleanError } from "./where-errors.ts";
import type { WhereFilter } from "./where.ts";

export type { WhereFilter } from "./where.ts";

// Builtins that would break the batch contract are shadowed (user code sees these defs first):
// input/inputs would swallow the NEXT message of the batch and shift every later result,
// halt/halt_error would end the whole batch, debug/stderr would write to our stderr.
// _pls_where yields exactly ONE code per expression per message, which is what lets outputs map back to inputs by position:
// 1 = an output was true, 2 = a non-boolean output, 3 = an error before any true (no match for that message only), 0 = otherwise.
// null counts as false (jq treats it as falsy, and `.data.flag` on a message without the flag yields null).
// It stops at the first decisive output (first/1 inlined: label and break), so a generator that yields true early
// (even an endless one) ends there.
const PRELUDE = `
def input: error("input is not available in --where");
def inputs: error("inputs is not available in --where");
def halt: error("halt is not available in --where");
def halt_error: error("halt_error is not available in --where");
def halt_error($code): error("halt_error is not available in --where");
def debug: .;
def debug(msg): .;
def stderr: .;
def _pls_where(f): label $out | ((try (f | if . == true then 1 elif . == false or . == null then empty else 2 end) catch 3), 0) | ., break $out;
`;

/**
 * One program for all expressions so a batch costs one jq call: per message, 1 = all matched, 0 = not, k >= 2 =
 * expression k-2 yielded a non-boolean. A single expression (the usual case) yields _pls_where's own code
 * (3, an error, also means no match): measured 14% less jq time per message than binding it and testing it.
 */
function buildProgram(expressions: readonly string[]): string {
  if (expressions.length === 1) return `${PRELUDE}_pls_where((\n${expressions[0]}\n))`;
  // Newlines around each expression keep a trailing `# comment` from swallowing the closing parentheses.
  // Plain variables and if/elif instead of an array with any/all/index: those are jq-defined generators and cost
  // more per message than the expressions themselves. Every expression is evaluated, so a non-boolean one is
  // reported even on messages another expression already rejected.
  const binds = expressions.map((e, i) => `_pls_where((\n${e}\n)) as $c${i}\n| `).join("");
  const nonBoolean = expressions.map((_, i) => `if $c${i} == 2 then ${i + 2} el`).join("");
  const allTrue = expressions.map((_, i) => `$c${i} == 1`).join(" and ");
  return `${PRELUDE}${binds}${nonBoolean}if ${allTrue} then 1 else 0 end`;
}

/** A jq call's outcome, as the worker reports it (jq-worker.ts). */
type JqOutcome = Exclude<JqWorkerReply, { kind: "ready" }>;

/** The jq worker: calls are queued and answered in order; a crashed or runaway instance is ended and forgotten. */
class JqWorker {
  private readonly waiting: Array<(reply: JqWorkerReply) => void> = [];
  private ended = false;

  private constructor(private readonly worker: Worker) {
    worker.onmessage = (e: MessageEvent) => this.waiting.shift()?.(e.data as JqWorkerReply);
    worker.onerror = (e: ErrorEvent) => this.end(`the jq worker failed: ${e.message}`);
  }

  /** Starts a worker and loads jq in it. */
  static async start(): Promise<JqWorker> {
    const source = `(${jqWorkerMain.toString()})()`;
    const url = URL.createObjectURL(new Blob([source], { type: "application/javascript" }));
    const worker = new JqWorker(new Worker(url));
    // Import attributes make `bun build --compile` embed both files, so a compiled `pls` needs no node_modules at run time.
    const [{ default: jqSource }, { default: wasmPath }] = await Promise.all([
      import("jq-web/jq.js", { with: { type: "text" } }),
      import("jq-web/jq.wasm", { with: { type: "file" } }),
    ]);
    const wasmBinary = new Uint8Array(await Bun.file(wasmPath).arrayBuffer());
    const start: JqWorkerStart = { jqSource, wasmBinary, memoryLimitBytes: JQ_MEMORY_LIMIT_BYTES };
    const ready = await worker.send(start, [wasmBinary.buffer as ArrayBuffer]);
    URL.revokeObjectURL(url); // the worker has read it by now
    if (ready.kind !== "ready") {
      worker.end();
      throw new Error(ready.kind === "crashed" ? ready.message : `unexpected answer ${ready.kind}`);
    }
    return worker;
  }

  /** `jq -c program` over `input`. */
  async run(input: string, program: string): Promise<JqOutcome> {
    const request: JqWorkerRequest = { input, program };
    const outcome = (await this.send(request)) as JqOutcome;
    if (outcome.kind === "memory" || outcome.kind === "crashed") this.end();
    return outcome;
  }

  private send(message: JqWorkerStart | JqWorkerRequest, transfer: ArrayBuffer[] = []): Promise<JqWorkerReply> {
    if (this.ended) return Promise.resolve({ kind: "crashed", message: "the jq worker has ended" });
    return new Promise((resolve) => {
      this.waiting.push((reply) => {
        // an idle worker must not keep the process alive (a library user's, or a test's)
        if (this.waiting.length === 0) this.worker.unref();
        resolve(reply);
      });
      this.worker.ref();
      this.worker.postMessage(message, transfer);
    });
  }

  /** Ends the worker (and its memory); pending and later calls get "crashed", the next loadJq a fresh worker. */
  end(message = "the jq worker has ended"): void {
    if (this.ended) return;
    this.ended = true;
    if (current === this) loading = undefined;
    this.worker.terminate();
    for (const resolve of this.waiting.splice(0)) resolve({ kind: "crashed", message });
  }
}

let loading: Promise<JqWorker> | undefined;
let current: JqWorker | undefined;

/** One jq worker per process, started on first use; a failed start is forgotten so a later call can retry. */
function loadJq(): Promise<JqWorker> {
  loading ??= JqWorker.start().then(
    (worker) => (current = worker),
    (err: unknown) => {
      loading = undefined;
      throw new PlasmiteError("Internal", `could not load jq: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    },
  );
  return loading;
}

/** jq's own diagnostic without the `jq: error:` prefixes. */
function jqErrorText(stderr: string): string {
  const lines = stderr
    .split("\n")
    .filter((l) => l.startsWith("jq: error"))
    .map((l) => l.replace(/^jq: error(?: \([^)]*\))?: /, "").replace(/:$/, ""));
  return lines.length > 0 ? lines.join("; ") : stderr;
}

/** Throws Usage when jq rejects `program` at compile time. An empty input makes jq compile the program and stop. */
async function assertCompiles(jq: JqWorker, program: string, what: string): Promise<void> {
  const outcome = await jq.run("", program);
  if (outcome.kind === "output") return;
  if (outcome.kind === "failed" && outcome.exitCode === 3) {
    throw new PlasmiteError("Usage", `invalid ${what}: ${jqErrorText(outcome.stderr)}`, {
      hint: `--where takes a jq expression that yields true or false, e.g. ${EXAMPLE}`,
    });
  }
  throw failure(outcome, what, 0);
}

/** The error for a jq call that did not answer. */
function failure(outcome: JqOutcome, what: string, count: number): PlasmiteError {
  if (outcome.kind === "memory") {
    const limitMiB = JQ_MEMORY_LIMIT_BYTES / (1024 * 1024);
    return new PlasmiteError("Usage", `${what} needed more than ${limitMiB} MiB of memory (the limit for jq) and was stopped`, {
      hint: "An expression that builds a huge or endless value cannot finish: bound it (first(f), limit(n; f), any(f; cond)) or test fewer values",
    });
  }
  const text = outcome.kind === "failed" ? jqErrorText(outcome.stderr) : outcome.kind === "crashed" ? outcome.message : outcome.kind;
  return new PlasmiteError("Internal", count > 0 ? `jq failed on a batch of ${count} messages: ${text}` : `jq failed on ${what}: ${text}`);
}

/** Loads jq (once per process, lazily) and compiles the expressions. All expressions must match (AND). */
export async function compileJqWhere(expressions: readonly string[]): Promise<WhereFilter> {
  for (const expr of expressions) {
    // jq reads an empty program as `.`, which would silently mean "non-boolean" later; say so now.
    if (expr.trim() === "") {
      throw new PlasmiteError("Usage", "--where expression is empty", { hint: `e.g. ${EXAMPLE}` });
    }
  }
  // AND over no expressions is true: no reason to load jq at all.
  if (expressions.length === 0) {
    return { matchBatch: async (envelopes) => envelopes.map(() => true), matchJoined: async (_text, count) => new Array<boolean>(count).fill(true) };
  }

  // One compile of the whole program in the usual case (each jq call costs ~3 ms: jq compiles its builtins
  // every time). When it fails, each expression alone names the culprit; if they all compile, an expression
  // escapes its parentheses (e.g. a comment continued onto the next line) and the combined error stands.
  const program = buildProgram(expressions);
  const named = expressions.length === 1 ? `--where expression '${expressions[0]}'` : `--where expressions ${expressions.map((e) => `'${e}'`).join(" ")}`;
  try {
    await assertCompiles(await loadJq(), program, named);
  } catch (err) {
    if (err instanceof PlasmiteError && err.kind === "Usage" && expressions.length > 1) {
      for (const expr of expressions) await assertCompiles(await loadJq(), expr, `--where expression '${expr}'`);
    }
    throw err;
  }

  const single = expressions.length === 1;
  const decode = (code: string): boolean => {
    if (code === "1") return true;
    if (code === "0" || (single && code === "3")) return false;
    throw nonBooleanError(expressions[Number(code) - 2]);
  };

  /** jq's codes for `count` envelopes joined by newlines, none of them too deep for jq. */
  const codes = async (joined: string, count: number): Promise<string[]> => {
    // Concatenated JSON texts are a stream of inputs to jq: the program runs once per message inside one call.
    // jq refuses a whole input holding an escaped lone surrogate (JSON.parse, and so poke, accepts one): it reads
    // as U+FFFD instead, as fast-where.ts does
    const outcome = await (await loadJq()).run(withoutLoneSurrogateEscapes(joined), program);
    if (outcome.kind === "output") {
      const lines = outcome.stdout === "" ? [] : outcome.stdout.split("\n");
      if (lines.length !== count) throw new PlasmiteError("Internal", `jq returned ${lines.length} results for ${count} messages`);
      return lines;
    }
    // Exit 2 or 5: jq could not read an input, and stops there. A message jq cannot read matches nothing: find it
    // by halves (rare: the known cause, nesting, is screened before), so one bad message never fails the others.
    // (jq's exit code alone would also cover a program error that escapes `try`, so its words are checked too)
    if (outcome.kind === "failed" && (outcome.exitCode === 2 || outcome.exitCode === 5) && outcome.stderr.includes("parse error")) {
      if (count === 1) return ["0"];
      const lines = joined.split("\n");
      const half = count >> 1;
      return [...(await codes(lines.slice(0, half).join("\n"), half)), ...(await codes(lines.slice(half).join("\n"), count - half))];
    }
    throw failure(outcome, named, count);
  };

  const filter: WhereFilter = {
    matchBatch(envelopes: readonly string[]): Promise<boolean[]> {
      return filter.matchJoined(envelopes.join("\n"), envelopes.length);
    },
    async matchJoined(joined: string, count: number): Promise<boolean[]> {
      if (count === 0) return [];
      // envelopes never hold a line break (a stored payload has none), so lines are messages
      const readable = readableLines(joined, count);
      if (readable === null) return (await codes(joined, count)).map(decode);
      const out = new Array<boolean>(count).fill(false);
      if (readable.lines.length === 0) return out;
      const got = await codes(readable.lines.join("\n"), readable.lines.length);
      for (let i = 0; i < got.length; i++) out[readable.at[i]] = decode(got[i]);
      return out;
    },
  };
  return filter;
}

/** null when jq can read every line of `joined`; else the lines it can read and where each one was. */
function readableLines(joined: string, count: number): { lines: string[]; at: number[] } | null {
  let start = 0;
  let tooDeep: number[] | null = null;
  for (let i = 0; i < count; i++) {
    let end = joined.indexOf("\n", start);
    if (end < 0) end = joined.length;
    if (tooDeepForJq(joined, start, end)) (tooDeep ??= []).push(i);
    start = end + 1;
  }
  if (tooDeep === null) return null;
  const all = joined.split("\n");
  const lines: string[] = [];
  const at: number[] = [];
  for (let i = 0, k = 0; i < count; i++) {
    if (tooDeep[k] === i) k++;
    else {
      lines.push(all[i]);
      at.push(i);
    }
  }
  return { lines, at };
}

/** Whether jq's own parser reads `text`, without the nesting screen: lets a test hold tooDeepForJq to jq itself. */
export async function jqParses(text: string): Promise<boolean> {
  const outcome = await (await loadJq()).run(text, "empty");
  if (outcome.kind === "output") return true;
  if (outcome.kind === "failed") return false;
  throw failure(outcome, "a parse check", 1);
}
