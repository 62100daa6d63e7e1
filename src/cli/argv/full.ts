// The full parser: citty's parseArgs, for every shape the quick parser refuses (and for help). citty is loaded
// here on first use only; its refusals (a missing argument) become Usage errors pointing at the command's help.
import { PlasmiteError } from "../../errors.ts";
import type { ParsedArgs } from "./define.ts";
import type { ArgParser, CommandArgs } from "./parser.ts";
import { programName } from "./program-name.ts";

export const fullParser: ArgParser = {
  name: "full",
  parse: fullParse,
};

/** citty's parse of a command's words; never refuses a shape. */
export async function fullParse(rawArgs: readonly string[], { defs, path }: CommandArgs): Promise<ParsedArgs> {
  const { parseArgs } = await import("citty");
  try {
    return parseArgs([...rawArgs], defs as never) as ParsedArgs;
  } catch (err) {
    if (!(err instanceof Error) || err.name !== "CLIError") throw err;
    throw usageFromCitty(err, `Try \`${[programName(), ...path].join(" ")} --help\`.`);
  }
}

/** A citty refusal as a Usage error (its message without the colour codes citty adds). */
export function usageFromCitty(err: Error, hint: string): PlasmiteError {
  return new PlasmiteError("Usage", err.message.replace(/\x1b\[[0-9;]*m/g, ""), { hint });
}
