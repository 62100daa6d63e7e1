// The global options in effect for this run (--dir, --color), read by commands and output code. Parsed by
// argv/globals.ts; set once by argv/parse.ts before any command runs.
// State: the options of this run, set once per process.

export interface GlobalOptions {
  dir: string;
  color: "auto" | "always" | "never";
}

let current: GlobalOptions | null = null;

/** Records this run's global options (argv/parse.ts, before anything can fail or print). */
export function setGlobals(g: GlobalOptions): void {
  current = g;
}

/** This run's global options. */
export function globals(): GlobalOptions {
  if (!current) throw new Error("CLI globals not set");
  return current;
}
