// What an argument parser is: a command's words (after its name, global options removed, already checked by
// check.ts) → its parsed arguments. Two implement it: quick.ts (everyday shapes, no citty) and full.ts
// (citty, any shape). A parser that cannot handle a command line refuses with NeedsFullParser, and parse.ts
// hands the words to the next one; cases.ts is the one table both are tested against.
import type { ArgDefs, FlagDef, ParsedArgs } from "./define.ts";

/** The command whose words are parsed: its definitions, its flag table, its path (`["pool", "create"]`). */
export interface CommandArgs {
  defs: ArgDefs;
  flags: Map<string, FlagDef>;
  path: readonly string[];
}

export interface ArgParser {
  readonly name: string;
  /** The command's arguments; throws NeedsFullParser for a shape this parser leaves to a fuller one. */
  parse(words: readonly string[], command: CommandArgs): ParsedArgs | Promise<ParsedArgs>;
}

/** A parser's refusal of a command line it does not handle (not an error in the command line). */
export class NeedsFullParser extends Error {
  override name = "NeedsFullParser";
  constructor(readonly reason: string) {
    super(`needs the full parser: ${reason}`);
  }
}
