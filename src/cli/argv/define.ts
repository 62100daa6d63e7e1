// A command's definition and its flag table: the one description of a command's arguments, from which parsing
// (quick.ts, full.ts), the unknown-flag check (check.ts), help (help.ts) and completion are all derived.
// Never imports citty at run time (only its types): a command module loads, and usually runs, without it.
import type { ArgsDef, CommandDef } from "citty";
import { PlasmiteError } from "../../errors.ts";

/** One argument as a command defines it (citty's shape). */
export interface ArgDef {
  type: string;
  alias?: string | string[];
  default?: unknown;
  required?: boolean;
  valueHint?: string;
}

export type ArgDefs = Record<string, ArgDef>;

/** Parsed arguments: each argument's value under its name, and every positional word in `_`. */
export type ParsedArgs = Record<string, unknown> & { _: string[] };

/** A loaded command as the parser sees it: its arguments, its subcommands (maybe lazy), how it runs. */
export interface AnyCommand {
  meta?: unknown;
  args?: unknown;
  subCommands?: unknown;
  run?: (ctx: { rawArgs: string[]; args: Record<string, unknown>; cmd: unknown }) => unknown;
}

/**
 * A command definition (citty's shape). Like citty's defineCommand it returns its argument; this one does so
 * without importing citty.
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

/** An argument's aliases as a list (citty allows one string or several). */
export function aliasesOf(def: { alias?: string | string[] }): readonly string[] {
  return def.alias === undefined ? [] : typeof def.alias === "string" ? [def.alias] : def.alias;
}

export interface FlagDef {
  /** The argument's name in the command's definition (the key its value is stored under). */
  name: string;
  type: string;
}

/** Every spelling of every flag a command defines (`--name`, `-a` / `--alias`) → its definition. */
export function flagTable(defs: ArgDefs): Map<string, FlagDef> {
  const table = new Map<string, FlagDef>();
  for (const [name, def] of Object.entries(defs)) {
    if (def.type === "positional") continue;
    const flag = { name, type: def.type };
    table.set(`--${name}`, flag);
    for (const a of aliasesOf(def)) table.set(a.length === 1 ? `-${a}` : `--${a}`, flag);
  }
  return table;
}

/** The long spellings (`--name`) of a command's flags, in definition order: what completion offers. */
export function longFlags(defs: ArgDefs): string[] {
  return [...flagTable(defs).keys()].filter((spelling) => spelling.startsWith("--"));
}

/** A command's subcommands by name, loading lazy ones (`() => import(…)`); undefined when it has none. */
export async function subcommandsOf(cmd: AnyCommand): Promise<Record<string, unknown> | undefined> {
  return (typeof cmd.subCommands === "function" ? await cmd.subCommands() : cmd.subCommands) as Record<string, unknown> | undefined;
}

/** A subcommand entry loaded: a definition, or what its lazy loader returns. */
export async function loadCommand(entry: unknown): Promise<AnyCommand> {
  return (typeof entry === "function" ? await entry() : entry) as AnyCommand;
}
