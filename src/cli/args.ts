// Command definitions, and the flag helpers citty lacks: repeated flags (citty keeps only the last value) and
// rejecting unknown flags. main.ts loads this module, so a command importing defineCommand from here loads no
// module of its own for it (each module a command loads costs ~15 µs of start-up).
import type { ArgsDef, CommandDef } from "citty";
import { PlasmiteError } from "../errors.ts";

/**
 * Commands are citty command definitions. citty's defineCommand only returns its argument; this one does the
 * same without importing citty at run time, so a command module can load (and often run, see quick-args.ts)
 * without citty and the node:util it pulls in (~1 ms of start-up).
 */
export function defineCommand<const T extends ArgsDef = ArgsDef>(def: CommandDef<T>): CommandDef<T> {
  return def;
}

/** Every value of a repeatable flag in argv order: `--tag a --tag=b -t c`; stops at "--". */
export function collectRepeated(rawArgs: readonly string[], name: string, short?: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i];
    if (arg === "--") break;
    if (arg === `--${name}` || (short && arg === `-${short}`)) {
      const v = rawArgs[i + 1];
      if (v === undefined) throw new PlasmiteError("Usage", `--${name} needs a value`);
      out.push(v);
      i++;
    } else if (arg.startsWith(`--${name}=`)) out.push(arg.slice(name.length + 3));
  }
  return out;
}

/** A citty argument's aliases as a list (citty allows one string or several). */
export function aliasesOf(def: { alias?: string | string[] }): readonly string[] {
  return def.alias === undefined ? [] : typeof def.alias === "string" ? [def.alias] : def.alias;
}

export interface FlagDef {
  /** The argument's name in the command's definition (the key its value is stored under). */
  name: string;
  type: string;
}

/** Every spelling of every flag a command defines (`--name`, `-a` / `--alias`) → its definition. */
export function flagTable(defs: Record<string, { type: string; alias?: string | string[] }>): Map<string, FlagDef> {
  const table = new Map<string, FlagDef>();
  for (const [name, def] of Object.entries(defs)) {
    if (def.type === "positional") continue;
    const flag = { name, type: def.type };
    table.set(`--${name}`, flag);
    for (const a of aliasesOf(def)) table.set(a.length === 1 ? `-${a}` : `--${a}`, flag);
  }
  return table;
}

/**
 * Throws Usage for a flag the command does not define (or a value given to a boolean flag), and, with
 * `checkPositionals`, for a word no positional argument takes (`pls get chat 1 2`): citty would drop it
 * silently. A last positional whose valueHint ends in "..." (`pool create NAME...`) takes any number of words.
 * One pass over the words: this runs before every command.
 */
export function rejectBadArgs(
  rawArgs: readonly string[],
  known: Record<string, { type: string; alias?: string | string[]; valueHint?: string }>,
  command: string,
  checkPositionals = true,
  flags: Map<string, FlagDef> = flagTable(known),
): void {
  let positionals = 0;
  let variadic = false;
  for (const name in known) {
    const def = known[name];
    if (def.type !== "positional") continue;
    positionals++;
    variadic = def.valueHint !== undefined && def.valueHint.endsWith("...");
  }
  // undefined: not a flag of this command; true: it takes the next word (or "=value") as its value
  const takesValue = (flag: string): boolean | undefined => {
    const def = flags.get(flag);
    if (def) return def.type === "string" || def.type === "enum";
    if (flag === "--help" || flag === "-h") return false;
    if (flag.startsWith("--no-")) {
      const negated = flags.get(`--${flag.slice(5)}`);
      if (negated?.type === "boolean" && negated.name === flag.slice(5)) return false; // --no-NAME, not an alias
    }
    return undefined;
  };
  const limit = checkPositionals && !variadic ? positionals : Infinity;
  const takesJson = "data" in known;
  let count = 0;
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i];
    if (arg === "--") {
      // everything after "--" is a positional word
      if (count + rawArgs.length - i - 1 > limit) throw extra(rawArgs[i + 1 + limit - count], command, takesJson);
      return;
    }
    if (!arg.startsWith("-") || arg === "-" || (arg.charCodeAt(1) >= 48 && arg.charCodeAt(1) <= 57)) {
      if (++count > limit) throw extra(arg, command, takesJson);
      continue;
    }
    const flag = arg.includes("=") ? arg.slice(0, arg.indexOf("=")) : arg;
    const value = takesValue(flag);
    if (value === undefined) throw unknownOption(flag, command, flags);
    if (!value && arg.includes("=")) {
      throw new PlasmiteError("Usage", `option '${flag}' does not take a value`, { hint: `Write \`${flag}\` alone.` });
    }
    if (value && !arg.includes("=")) i++;
  }
}

/** The refusal of a flag `command` does not define, with the nearest one it does (suggest.ts loads only here). */
function unknownOption(flag: string, command: string, flags: Map<string, FlagDef>): PlasmiteError {
  const help = `\`pls ${command} --help\``;
  const spellings = [...flags.keys()].filter((f) => f.startsWith("--")).concat("--help", "--dir", "--color");
  const near = flag.startsWith("--") ? (require("./suggest.ts") as typeof import("./suggest.ts")).closest(flag, spellings) : undefined;
  return new PlasmiteError("Usage", `unknown option '${flag}' for \`${command}\``, { hint: near ? `Did you mean ${near}? See ${help}.` : `Try ${help}.` });
}

function extra(word: string, command: string, takesJson: boolean): PlasmiteError {
  const help = `\`pls ${command} --help\``;
  const hint = takesJson ? `Quote the JSON as one argument ('{"a": 1}'); see ${help}.` : `See ${help}.`;
  return new PlasmiteError("Usage", `unexpected argument '${word}' for \`${command}\``, { hint });
}
