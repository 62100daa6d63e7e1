// The name the user typed (`pls` or `plasmite`), for help, errors and completion scripts.
// State: the name, worked out on first use and kept (it cannot change while the process runs).

const PLASMITE_NAMES = new Set(["plasmite", "plasmite.ts", "plasmite.js", "plasmite.cjs"]);
const basename = (p: string) => p.slice(p.lastIndexOf("/") + 1);
let shownName: string | undefined;

/**
 * `plasmite` when the program runs under that name (argv[1] for `bun main.ts` and links, the npm launcher's
 * PLASMITE_PROGRAM_NAME under Node, the executable for compiled binaries), else `pls`.
 */
export function programName(): string {
  shownName ??= [process.env.PLASMITE_PROGRAM_NAME, basename(process.execPath), basename(process.argv[1] ?? "")].some((c) => c !== undefined && PLASMITE_NAMES.has(c)) ? "plasmite" : "pls";
  return shownName;
}
