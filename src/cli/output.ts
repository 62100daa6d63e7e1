// Everything the CLI writes: JSON on stdout (pretty and coloured on a terminal, compact when piped), notices
// and progress on stderr. stdout never carries anything but JSON (or completion scripts).
// State: one stderr writer, made on first use and kept for the process.
import { isTerminal } from "../platform/files.ts";
import { globals } from "./context.ts";

/** ANSI colour codes of JSON tokens (colorJson, prettyText). */
export const JSON_COLORS = { key: 36, string: 32, number: 33, boolean: 35, null: 39 } as const;
const C = JSON_COLORS;

/** Whether to colour a stream, from --color and NO_COLOR. */
export function colorOn(stream: "stdout" | "stderr"): boolean {
  const mode = globals().color;
  if (mode === "never") return false;
  if (mode === "always") return true;
  if (process.env.NO_COLOR) return false;
  return isTerminal(stream === "stdout" ? 1 : 2);
}

/** `--color always`: colour even output that is not for a terminal (compact JSON lines into a pipe). */
export const colorForced = (): boolean => globals().color === "always";

// process.stdout/stderr are avoided on purpose: Bun builds Node's stream objects for them on first use, a
// large part of a one-shot command's start-up (docs/performance.md).
export const stdoutIsTTY = (): boolean => isTerminal(1);
export const stderrIsTTY = (): boolean => isTerminal(2);

/** Writes one line to stdout (console.log is Bun's cheapest synchronous path). */
export function printLine(text: string): void {
  console.log(text);
}

/**
 * Writes one line to stderr. On a terminal not through console.error: Bun paints everything it writes there red,
 * which made summaries and banners look like failures (colour is for meaning: see notice, presentError).
 */
export function printErrLine(text: string): void {
  if (stderrIsTTY()) writeErr(text + "\n");
  else console.error(text);
}

let stderrSink: ReturnType<typeof Bun.stderr.writer> | undefined;

/** Writes `text` to stderr as it is (no newline added, no colour), before returning. */
export function writeErr(text: string): void {
  stderrSink ??= Bun.stderr.writer();
  stderrSink.write(text);
  stderrSink.flush();
}

/** Pretty JSON with ANSI colours (keys cyan, strings green, numbers yellow, booleans magenta); `compact`: one line. */
export function colorJson(value: unknown, indent = "", step = "  ", compact = false): string {
  const paint = (code: number, s: string) => `\x1b[${code}m${s}\x1b[39m`;
  if (value === null || value === undefined) return paint(C.null, "null");
  if (typeof value === "string") return paint(C.string, JSON.stringify(value));
  if (typeof value === "number") return paint(C.number, JSON.stringify(value));
  if (typeof value === "boolean") return paint(C.boolean, String(value));
  if (compact) {
    if (Array.isArray(value)) return `[${value.map((v) => colorJson(v, "", "", true)).join(",")}]`;
    return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${paint(C.key, JSON.stringify(k))}:${colorJson(v, "", "", true)}`).join(",")}}`;
  }
  const inner = indent + step;
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return `[\n${value.map((v) => inner + colorJson(v, inner, step)).join(",\n")}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return "{}";
  return `{\n${entries.map(([k, v]) => `${inner}${paint(C.key, JSON.stringify(k))}: ${colorJson(v, inner, step)}`).join(",\n")}\n${indent}}`;
}

/** One JSON value as the CLI prints it: pretty (coloured when allowed) on a terminal, else one compact line. */
export function formatJson(value: unknown, pretty = stdoutIsTTY()): string {
  if (!pretty) {
    const line = JSON.stringify(value);
    // --color always: coloured even into a pipe, still one line (`pls --color always pool list | less -R`)
    return colorForced() ? colorJson(JSON.parse(line), "", "", true) : line;
  }
  return colorOn("stdout") ? colorJson(value) : JSON.stringify(value, null, 2);
}

export function printJson(value: unknown): void {
  printLine(formatJson(value));
}

/** Non-fatal notice on stderr: `notice: …` on a terminal, else one JSON object. Never changes the exit code. */
export function notice(kind: string, cmd: string, pool: string, message: string, details: Record<string, unknown> = {}): void {
  if (stderrIsTTY()) {
    const label = colorOn("stderr") ? "\x1b[33mnotice:\x1b[39m" : "notice:";
    printErrLine(`${label} ${message} (pool: ${pool})`);
    return;
  }
  printErrLine(JSON.stringify({ notice: { kind, time: new Date().toISOString(), cmd, pool, message, details } }));
}
