// Commands are citty command definitions. citty's defineCommand only returns its argument; this one does the
// same without importing citty at run time, so a command module can load (and often run, see quick-args.ts)
// without citty and the node:util it pulls in (~1 ms of start-up).
import type { ArgsDef, CommandDef } from "citty";

export function defineCommand<const T extends ArgsDef = ArgsDef>(def: CommandDef<T>): CommandDef<T> {
  return def;
}
