// How errors reach a terminal or a script: human lines (message, hint, path, seq, offset) on a TTY, else one
// JSON object. The exit code comes from the error kind's table in src/errors.ts.
import { asPlasmiteError, type PlasmiteError } from "../errors.ts";
import { isTerminal } from "../platform/files.ts";
import { writeErr } from "./output.ts";

const AUTO_HINTS: Partial<Record<string, string>> = {
  Permission: "Check file and directory permissions, or use --dir with a writable location.",
  Busy: "The pool is busy; retry (poke --retry N).",
  Io: "Check the path, the filesystem and free disk space.",
  Corrupt: "Run `pls doctor POOL`; a corrupt pool must be recreated.",
};

export function presentError(err: unknown): number {
  const e: PlasmiteError = asPlasmiteError(err);
  const hint = e.hint ?? AUTO_HINTS[e.kind];
  if (isTerminal(2)) {
    const color = !process.env.NO_COLOR && process.env.PLASMITE_COLOR !== "never";
    const red = (s: string) => (color ? `\x1b[31m${s}\x1b[39m` : s);
    const yellow = (s: string) => (color ? `\x1b[33m${s}\x1b[39m` : s);
    let text = `${red("error:")} ${e.message}\n`;
    if (hint) text += `${yellow("hint:")} ${hint}\n`;
    if (e.path !== undefined) text += `${yellow("path:")} ${e.path}\n`;
    if (e.seq !== undefined) text += `${yellow("seq:")} ${e.seq}\n`;
    if (e.offset !== undefined) text += `${yellow("offset:")} ${e.offset}\n`;
    writeErr(text); // not console.error: Bun paints a terminal's whole line red, hint included
  } else {
    const json = e.toJSON();
    if (hint && json.hint === undefined) json.hint = hint;
    console.error(JSON.stringify({ error: json }));
  }
  return e.exitCode;
}
