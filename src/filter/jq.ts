// The `--where` filter on real jq (jq-web's wasm build), for expressions fast-where.ts does not answer (see
// where.ts): compiled once, then run over whole batches of message envelopes. Must never call jq once per message
// (every call re-runs jq's main) and never load jq before compileJqWhere is called.

import { createRequire } from "node:module";
import { PlasmiteError } from "../errors.ts";
import { withoutLoneSurrogateEscapes } from "../format/json-scan.ts";
import { WHERE_EXAMPLE as EXAMPLE, nonBooleanError, type WhereFilter } from "./where.ts";

export type { WhereFilter } from "./where.ts";

/** What jq-web's Emscripten module gives us: stdout of `jq <flags> <filter> <file holding input>`; throws on a non-zero exit. */
interface JqInstance {
  raw(input: string, filter: string, flags?: string[]): string | undefined;
}
type JqFactory = (options: { wasmBinary: Uint8Array }) => Promise<JqInstance>;

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

let loading: Promise<JqInstance> | undefined;

/** One jq instance per process, created on first use; a failed load is forgotten so a later call can retry. */
function loadJq(): Promise<JqInstance> {
  loading ??= instantiateJq().catch((err: unknown) => {
    loading = undefined;
    throw new PlasmiteError("Internal", `could not load jq: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  });
  return loading;
}

async function instantiateJq(): Promise<JqInstance> {
  // Import attributes make `bun build --compile` embed both files, so a compiled `pls` needs no node_modules at run time.
  const [{ default: source }, { default: wasmPath }] = await Promise.all([
    import("jq-web/jq.js", { with: { type: "text" } }),
    import("jq-web/jq.wasm", { with: { type: "file" } }),
  ]);
  const wasmBinary = new Uint8Array(await Bun.file(wasmPath).arrayBuffer());
  return await captureFactory(source)({ wasmBinary });
}

const STOP = Symbol("jq-web factory captured");

/**
 * jq-web's export (`require("jq-web")`) is a promise from calling its Emscripten factory at load time with no options,
 * which reads jq.wasm from `__dirname` — the build machine's node_modules inside a compiled binary. Evaluating the
 * unmodified jq.js with no `module`/`exports` sends it down its AMD branch, where our `define` receives the factory
 * and throws, stopping the script before that eager call. No patch of node_modules, so plain `npm ci` is enough.
 */
function captureFactory(source: string): JqFactory {
  let factory: unknown;
  const define = Object.assign(
    (_deps: unknown, get: () => unknown) => {
      factory = get();
      throw STOP;
    },
    { amd: true },
  );
  try {
    // jq.js still require()s fs/path/crypto for its Node glue; __dirname is never used for the wasm once wasmBinary is given.
    new Function("require", "__dirname", "__filename", "define", "exports", "module", source)(
      createRequire(import.meta.url),
      "/",
      undefined,
      define,
      undefined,
      undefined,
    );
  } catch (err) {
    if (err !== STOP) throw err;
  }
  if (typeof factory !== "function") {
    throw new Error("jq-web's jq.js does not have the expected layout (the code expects jq-web 0.6.2)");
  }
  return factory as JqFactory;
}

/** jq's own diagnostic without jq-web's "Non-zero exit code" line or the `jq: error:` prefixes. */
function jqErrorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const lines = text
    .split("\n")
    .filter((l) => l.startsWith("jq: error"))
    .map((l) => l.replace(/^jq: error(?: \([^)]*\))?: /, "").replace(/:$/, ""));
  return lines.length > 0 ? lines.join("; ") : text;
}

/** Throws Usage when jq rejects `program` at compile time. An empty input makes jq compile the program and stop. */
function assertCompiles(jq: JqInstance, program: string, what: string): void {
  try {
    jq.raw("", program, ["-c"]);
  } catch (err) {
    if ((err as { exitCode?: unknown }).exitCode === 3) {
      throw new PlasmiteError("Usage", `invalid ${what}: ${jqErrorText(err)}`, {
        hint: `--where takes a jq expression that yields true or false, e.g. ${EXAMPLE}`,
        cause: err,
      });
    }
    throw new PlasmiteError("Internal", `jq failed while compiling ${what}: ${jqErrorText(err)}`, { cause: err });
  }
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
  if (expressions.length === 0) return { matchBatch: (envelopes) => envelopes.map(() => true), matchJoined: (_text, count) => new Array<boolean>(count).fill(true) };

  const jq = await loadJq();
  // One compile of the whole program in the usual case (each jq call costs ~3 ms: jq compiles its builtins
  // every time). When it fails, each expression alone names the culprit; if they all compile, an expression
  // escapes its parentheses (e.g. a comment continued onto the next line) and the combined error stands.
  const program = buildProgram(expressions);
  try {
    assertCompiles(jq, program, `--where expressions ${expressions.map((e) => `'${e}'`).join(" ")}`);
  } catch (err) {
    if (err instanceof PlasmiteError && err.kind === "Usage") {
      for (const expr of expressions) assertCompiles(jq, expr, `--where expression '${expr}'`);
    }
    throw err;
  }

  const filter: WhereFilter = {
    matchBatch(envelopes: readonly string[]): boolean[] {
      return filter.matchJoined(envelopes.join("\n"), envelopes.length);
    },
    matchJoined(joined: string, count: number): boolean[] {
      if (count === 0) return [];
      let stdout: string | undefined;
      try {
        // Concatenated JSON texts are a stream of inputs to jq: the program runs once per message inside one call.
        // jq refuses a whole input holding an escaped lone surrogate (JSON.parse, and so poke, accepts one): it reads
        // as U+FFFD instead, as fast-where.ts does
        stdout = jq.raw(withoutLoneSurrogateEscapes(joined), program, ["-c"]);
      } catch (err) {
        // A wasm trap leaves the instance aborted; let the next compileWhere start a fresh one.
        if (err instanceof WebAssembly.RuntimeError) loading = undefined;
        throw new PlasmiteError("Internal", `jq failed on a batch of ${count} messages: ${jqErrorText(err)}`, {
          cause: err,
        });
      }
      // jq-web drops the final newline of stdout (and returns undefined for no output); tolerate either form.
      const text = (stdout ?? "").replace(/\n$/, "");
      const codes = text === "" ? [] : text.split("\n");
      if (codes.length !== count) {
        throw new PlasmiteError("Internal", `jq returned ${codes.length} results for ${count} messages`);
      }
      const single = expressions.length === 1;
      return codes.map((code) => {
        if (code === "1") return true;
        if (code === "0" || (single && code === "3")) return false;
        throw nonBooleanError(expressions[Number(code) - 2]);
      });
    },
  };
  return filter;
}
