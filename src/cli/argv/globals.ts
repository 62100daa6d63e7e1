// The global options (--dir, --color), which may come before or after the command's words: pulled out of
// argv before the command is looked up (citty gives a command only the words after its name).
import { PlasmiteError } from "../../errors.ts";
import { defaultPoolDir } from "../../api/refs.ts";
import type { GlobalOptions } from "../context.ts";

/** Global flags that take a value, and the example each one's missing-value hint shows. */
const GLOBAL_VALUE_FLAGS: ReadonlyMap<string, string> = new Map([
  ["--dir", "/tmp/pools"],
  ["--color", "never"],
]);

/** The global flags' long spellings (completion and did-you-mean offer them with every command's own). */
export const GLOBAL_FLAGS: readonly string[] = [...GLOBAL_VALUE_FLAGS.keys()];

/** Splits argv into global options and the rest, stopping at "--". */
export function extractGlobals(argv: readonly string[]): { globals: GlobalOptions; rest: string[] } {
  const globals: GlobalOptions = { dir: process.env.PLASMITE_DIR || defaultPoolDir(), color: "auto" };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      rest.push(...argv.slice(i));
      break;
    }
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const example = GLOBAL_VALUE_FLAGS.get(name);
    if (example === undefined) {
      rest.push(arg);
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new PlasmiteError("Usage", `${name} needs a value`, { hint: `Example: pls ${name} ${example} pool list` });
    if (name === "--dir") globals.dir = value;
    else if (value === "auto" || value === "always" || value === "never") globals.color = value;
    else throw new PlasmiteError("Usage", `invalid value for --color: '${value}'`, { hint: "Use auto, always or never." });
  }
  return { globals, rest };
}
