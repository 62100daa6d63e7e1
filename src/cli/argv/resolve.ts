// Words → command: walks the command tree along the leading words (`pool create …`), loading each command
// only when named. A parent's options may come before its subcommand (`pls serve --bind X check`), as in the
// Rust CLI.
import { flagTable, loadCommand, subcommandsOf, type AnyCommand, type ArgDefs } from "./define.ts";

export interface Resolved {
  /** The deepest command the words name (the root when none). */
  cmd: AnyCommand;
  /** The words naming it (`["pool", "create"]`). */
  path: string[];
  /** The words after its name: its own arguments. */
  rest: string[];
}

/** The command a word path names, and the words left for it. */
export async function resolveCommand(root: AnyCommand, words: string[]): Promise<Resolved> {
  let cmd = root;
  const path: string[] = [];
  let i = 0;
  for (; i < words.length; i++) {
    const subs = await subcommandsOf(cmd);
    if (words[i].startsWith("-")) {
      const moved = subs && cmd.args ? subcommandAfterOptions(cmd.args as ArgDefs, subs, words, i) : null;
      if (!moved) break;
      words = moved;
    }
    const w = words[i];
    if (!subs || !(w in subs)) break;
    cmd = await loadCommand(subs[w]);
    path.push(w);
  }
  return { cmd, path, rest: words.slice(i) };
}

/**
 * `pls serve --bind X check`: the words as `serve check --bind X` (the subcommand first), or null when no
 * later word names a subcommand.
 */
function subcommandAfterOptions(args: ArgDefs, subs: Record<string, unknown>, words: string[], from: number): string[] | null {
  const flags = flagTable(args);
  for (let j = from; j < words.length && words[j] !== "--"; j++) {
    const w = words[j];
    if (w.startsWith("-")) {
      if (!w.includes("=") && flags.get(w)?.type === "string") j++; // its value
    } else if (w in subs) return [...words.slice(0, from), w, ...words.slice(from, j), ...words.slice(j + 1)];
  }
  return null;
}
