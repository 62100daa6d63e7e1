// Global CLI options (--dir, --color) that may appear before or after the subcommand, pulled out of argv
// before citty sees it (citty only gives a subcommand the words after its name).
import { PlasmiteError } from "../errors.ts";
import { defaultPoolDir } from "../api/refs.ts";

export interface GlobalOptions {
  dir: string;
  color: "auto" | "always" | "never";
}

const GLOBAL_VALUE_FLAGS = new Set(["--dir", "--color"]);

/** Splits argv into global options and the rest, stopping at "--". */
export function extractGlobals(argv: string[]): { globals: GlobalOptions; rest: string[] } {
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
    if (!GLOBAL_VALUE_FLAGS.has(name)) {
      rest.push(arg);
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new PlasmiteError("Usage", `${name} needs a value`, { hint: `Example: pls ${name} ${name === "--dir" ? "/tmp/pools" : "never"} pool list` });
    if (name === "--dir") globals.dir = value;
    else if (value === "auto" || value === "always" || value === "never") globals.color = value;
    else throw new PlasmiteError("Usage", `invalid value for --color: '${value}'`, { hint: "Use auto, always or never." });
  }
  return { globals, rest };
}

let current: GlobalOptions | null = null;

export function setGlobals(g: GlobalOptions): void {
  current = g;
}

export function globals(): GlobalOptions {
  if (!current) throw new Error("CLI globals not set");
  return current;
}
