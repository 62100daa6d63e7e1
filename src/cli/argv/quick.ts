// The quick parser: the everyday shapes of a command line (`pls poke chat '{"a":1}' --tag x`, `pls get chat 7`)
// parsed without loading citty (and the node:util it imports), so a one-shot command never loads it. Its
// result is exactly what citty's parseArgs returns for the same words (cases.ts and parse.test.ts check that);
// any other shape (grouped short flags, "--", --no-X, a value that looks like a flag, a missing value or
// positional, enum or camelCase arguments) is refused with NeedsFullParser.
import type { ArgDef, ParsedArgs } from "./define.ts";
import { NeedsFullParser, type ArgParser, type CommandArgs } from "./parser.ts";

export const quickParser: ArgParser = {
  name: "quick",
  parse: quickParse,
};

/** citty-equivalent parse of the simple shapes; throws NeedsFullParser for the others. */
export function quickParse(rawArgs: readonly string[], { defs, flags }: CommandArgs): ParsedArgs {
  const positionals: Array<[string, ArgDef]> = [];
  for (const [name, def] of Object.entries(defs)) {
    if (def.type === "positional") {
      positionals.push([name, def]);
      continue;
    }
    if (def.type !== "string" && def.type !== "boolean") throw new NeedsFullParser(`--${name} is of type ${def.type}`);
    // citty also accepts camelCase and kebab-case spellings of such names
    if (name !== name.toLowerCase() || name.includes("_")) throw new NeedsFullParser(`--${name} has other spellings`);
  }
  const out: ParsedArgs = { _: [] };
  const words = out._;
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i];
    if (!arg.startsWith("-") || arg === "-") {
      words.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const flag = flags.get(eq > 0 ? arg.slice(0, eq) : arg);
    if (!flag) throw new NeedsFullParser(`'${arg}' is not a flag as written`);
    if (flag.type === "boolean") {
      if (eq > 0) throw new NeedsFullParser(`a value for boolean '${arg}'`);
      out[flag.name] = true;
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : rawArgs[++i];
    if (value === undefined || (eq < 0 && value.startsWith("-"))) throw new NeedsFullParser(`'${arg}' has no plain value`);
    out[flag.name] = value;
  }
  for (const [name, def] of Object.entries(defs)) {
    if (def.type !== "positional" && out[name] === undefined && def.default !== undefined) out[name] = def.default;
  }
  let next = 0;
  for (const [name, def] of positionals) {
    const value = words[next++];
    if (value !== undefined) out[name] = value;
    else if (def.default === undefined && def.required !== false) throw new NeedsFullParser(`missing ${name.toUpperCase()}`);
    else out[name] = def.default;
  }
  return out;
}
