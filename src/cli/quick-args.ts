// The common shapes of a command line, parsed without citty: `pls poke chat '{"a":1}' --tag x`,
// `pls get chat 7`. Loading citty costs ~1 ms (it imports node:util), a quarter of a one-shot command's
// budget. The result is exactly what citty's parseArgs returns for the same words (quick-args.test.ts checks
// that against citty itself); anything else (grouped short flags, "--", --no-X, a value that looks like a
// flag, a missing value or positional, enum arguments) returns null and goes to citty.
import { flagTable, type FlagDef } from "./args.ts";

interface ArgDef {
  type: string;
  alias?: string | string[];
  default?: unknown;
  required?: boolean;
}

/** citty-equivalent parse of `rawArgs` for the simple shapes, or null. Unknown flags must be rejected first. */
export function quickParse(rawArgs: readonly string[], defs: Record<string, ArgDef>, flags: Map<string, FlagDef> = flagTable(defs)): Record<string, unknown> | null {
  const positionals: Array<[string, ArgDef]> = [];
  for (const [name, def] of Object.entries(defs)) {
    if (def.type === "positional") {
      positionals.push([name, def]);
      continue;
    }
    if (def.type !== "string" && def.type !== "boolean") return null;
    // citty also accepts camelCase and kebab-case spellings; names with either form go to citty
    if (name !== name.toLowerCase() || name.includes("_")) return null;
  }
  const out: Record<string, unknown> = { _: [] as string[] };
  const words = out._ as string[];
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i];
    if (!arg.startsWith("-") || arg === "-") {
      words.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const flag = flags.get(eq > 0 ? arg.slice(0, eq) : arg);
    if (!flag) return null;
    if (flag.type === "boolean") {
      if (eq > 0) return null;
      out[flag.name] = true;
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : rawArgs[++i];
    if (value === undefined || (eq < 0 && value.startsWith("-"))) return null;
    out[flag.name] = value;
  }
  for (const [name, def] of Object.entries(defs)) {
    if (def.type !== "positional" && out[name] === undefined && def.default !== undefined) out[name] = def.default;
  }
  let next = 0;
  for (const [name, def] of positionals) {
    const value = words[next++];
    if (value !== undefined) out[name] = value;
    else if (def.default === undefined && def.required !== false) return null;
    else out[name] = def.default;
  }
  return out;
}
