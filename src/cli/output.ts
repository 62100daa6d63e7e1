// Everything the CLI writes: JSON on stdout (pretty and coloured on a terminal, compact when piped), notices
// and progress on stderr. stdout never carries anything but JSON (or completion scripts).
import { globals } from "./context.ts";

const C = { key: 36, string: 32, number: 33, boolean: 35, null: 39 } as const;

/** Whether to colour a stream, from --color and NO_COLOR. */
export function colorOn(stream: "stdout" | "stderr"): boolean {
  const mode = globals().color;
  if (mode === "never") return false;
  if (mode === "always") return true;
  if (process.env.NO_COLOR) return false;
  return Boolean(process[stream].isTTY);
}

export const stdoutIsTTY = (): boolean => Boolean(process.stdout.isTTY);
export const stderrIsTTY = (): boolean => Boolean(process.stderr.isTTY);

/** Pretty JSON with ANSI colours (keys cyan, strings green, numbers yellow, booleans magenta). */
export function colorJson(value: unknown, indent = "", step = "  "): string {
  const paint = (code: number, s: string) => `\x1b[${code}m${s}\x1b[39m`;
  if (value === null || value === undefined) return paint(C.null, "null");
  if (typeof value === "string") return paint(C.string, JSON.stringify(value));
  if (typeof value === "number") return paint(C.number, JSON.stringify(value));
  if (typeof value === "boolean") return paint(C.boolean, String(value));
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
  if (!pretty) return JSON.stringify(value);
  return colorOn("stdout") ? colorJson(value) : JSON.stringify(value, null, 2);
}

export function printJson(value: unknown): void {
  process.stdout.write(formatJson(value) + "\n");
}

/** Non-fatal notice on stderr: `notice: …` on a terminal, else one JSON object. Never changes the exit code. */
export function notice(kind: string, cmd: string, pool: string, message: string, details: Record<string, unknown> = {}): void {
  if (stderrIsTTY()) {
    const label = colorOn("stderr") ? "\x1b[33mnotice:\x1b[39m" : "notice:";
    process.stderr.write(`${label} ${message} (pool: ${pool})\n`);
    return;
  }
  process.stderr.write(JSON.stringify({ notice: { kind, time: new Date().toISOString(), cmd, pool, message, details } }) + "\n");
}

/** Buffered stdout for streams of lines: one write per ~64 KiB, and a flush before waiting. */
export class LineWriter {
  private chunks: string[] = [];
  private size = 0;
  private readonly writer = Bun.stdout.writer();
  closed = false;

  push(line: string): void {
    this.chunks.push(line);
    this.size += line.length;
    if (this.size >= 65536) void this.flush();
  }

  async flush(): Promise<void> {
    if (this.chunks.length === 0 || this.closed) return;
    const text = this.chunks.join("");
    this.chunks = [];
    this.size = 0;
    try {
      this.writer.write(text);
      await this.writer.flush();
    } catch {
      // The reader went away (e.g. `| head -1`): stop writing, the caller exits quietly.
      this.closed = true;
    }
  }
}
