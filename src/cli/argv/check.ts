// The checks citty does not make, run on a command's words before either parser: a flag the command does not
// define, a value given to a boolean flag, a word no positional argument takes (citty would drop it silently).
// Refusals are Usage errors naming the nearest real flag.
import { PlasmiteError } from "../../errors.ts";
import { flagTable, type ArgDefs, type FlagDef } from "./define.ts";
import { GLOBAL_FLAGS } from "./globals.ts";
import { programName } from "./program-name.ts";
import { closest } from "./suggest.ts";

/**
 * Throws Usage for a flag the command does not define (or a value given to a boolean flag), and, with
 * `checkPositionals`, for a word no positional argument takes (`pls get chat 1 2`). A last positional whose
 * valueHint ends in "..." (`pool create NAME...`) takes any number of words.
 */
export function rejectBadArgs(
  rawArgs: readonly string[],
  known: ArgDefs,
  command: string,
  checkPositionals = true,
  flags: Map<string, FlagDef> = flagTable(known),
): void {
  const positionals = Object.values(known).filter((def) => def.type === "positional");
  const variadic = positionals.at(-1)?.valueHint?.endsWith("...") ?? false;
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
  const limit = checkPositionals && !variadic ? positionals.length : Infinity;
  const takesJson = "data" in known;
  let count = 0;
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i];
    if (arg === "--") {
      // everything after "--" is a positional word
      if (count + rawArgs.length - i - 1 > limit) throw extra(rawArgs[i + 1 + limit - count], command, takesJson);
      return;
    }
    if (!arg.startsWith("-") || arg === "-" || /^-\d/.test(arg)) {
      if (++count > limit) throw extra(arg, command, takesJson);
      continue;
    }
    const eq = arg.indexOf("=");
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const value = takesValue(flag);
    if (value === undefined) throw unknownOption(flag, command, flags);
    if (!value && eq >= 0) throw new PlasmiteError("Usage", `option '${flag}' does not take a value`, { hint: `Write \`${flag}\` alone.` });
    if (value && eq < 0) i++;
  }
}

/** The refusal of a flag `command` does not define, with the nearest one it does. */
function unknownOption(flag: string, command: string, flags: Map<string, FlagDef>): PlasmiteError {
  const help = `\`pls ${command} --help\``;
  const spellings = [...flags.keys()].filter((f) => f.startsWith("--")).concat("--help", ...GLOBAL_FLAGS);
  const near = flag.startsWith("--") ? closest(flag, spellings) : undefined;
  return new PlasmiteError("Usage", `unknown option '${flag}' for \`${command}\``, { hint: near ? `Did you mean ${near}? See ${help}.` : `Try ${help}.` });
}

function extra(word: string, command: string, takesJson: boolean): PlasmiteError {
  const help = `\`pls ${command} --help\``;
  const hint = takesJson ? `Quote the JSON as one argument ('{"a": 1}'); see ${help}.` : `See ${help}.`;
  return new PlasmiteError("Usage", `unexpected argument '${word}' for \`${command}\``, { hint });
}

/**
 * Throws Usage when a command that only groups others (the root, `pool`) is followed by a word that names none
 * of them, with the nearest name as a suggestion.
 */
export function rejectUnknownCommand(cmd: { args?: unknown; subCommands?: unknown }, path: readonly string[], words: readonly string[]): void {
  const word = words[0];
  if (!cmd.subCommands || cmd.args || word === undefined || word.startsWith("-")) return;
  const names = Object.keys(cmd.subCommands as Record<string, unknown>);
  const near = closest(word, path.length === 0 ? [...names, "help"] : names);
  const prefix = [programName(), ...path].join(" ");
  const help = `\`${prefix} --help\``;
  throw new PlasmiteError("Usage", `unknown command '${[...path, word].join(" ")}'`, { hint: near ? `Did you mean \`${prefix} ${near}\`? See ${help}.` : `See ${help}.` });
}
