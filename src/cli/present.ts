// How errors reach a terminal or a script: one human line plus a hint on a TTY, else one JSON object.
// The exit code comes from the error kind's table in src/errors.ts.
import { asPlasmiteError, type PlasmiteError } from "../errors.ts";

export function presentError(err: unknown): number {
  const e: PlasmiteError = asPlasmiteError(err);
  if (process.stderr.isTTY) {
    const color = !process.env.NO_COLOR;
    const red = (s: string) => (color ? `\x1b[31m${s}\x1b[39m` : s);
    let text = `${red("error:")} ${e.message}\n`;
    if (e.hint) text += `hint: ${e.hint}\n`;
    process.stderr.write(text);
  } else {
    process.stderr.write(JSON.stringify({ error: e.toJSON() }) + "\n");
  }
  return e.exitCode;
}
