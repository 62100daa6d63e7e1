// argv → what to do: the one entry to the command line. Reads the global options, finds the command the words
// name (loading only it), answers --version and help, checks the command's words against its flag table, and
// parses them with the first parser that accepts the shape (the quick one, else citty: see parser.ts).
// Never runs a command; every refusal is a Usage error with a hint.
import { PlasmiteError } from "../../errors.ts";
import { isTerminal } from "../../platform/files.ts";
import { VERSION } from "../version.ts";
import { setGlobals } from "../context.ts";
import { checkArgvUtf8 } from "../argv-utf8.ts";
import { flagTable, type AnyCommand, type ArgDefs, type ParsedArgs } from "./define.ts";
import { extractGlobals } from "./globals.ts";
import { resolveCommand } from "./resolve.ts";
import { rejectBadArgs, rejectUnknownCommand } from "./check.ts";
import { renderHelp } from "./help.ts";
import { NeedsFullParser, type ArgParser } from "./parser.ts";
import { quickParser } from "./quick.ts";
import { fullParser } from "./full.ts";
import { programName } from "./program-name.ts";

/** What a command line asks for: text to print (and the exit code), or a command to run with its arguments. */
export type CommandLine =
  | { kind: "print"; text: string; exitCode: number }
  | { kind: "run"; cmd: AnyCommand; path: string[]; rawArgs: string[]; args: ParsedArgs };

/** The parsers tried in order: the quick one, then citty for what it refuses. */
export const PARSERS: readonly ArgParser[] = [quickParser, fullParser];

/**
 * Parses `argv` (without the program) against the command tree `root`. Sets the global options first (errors
 * found later are shown with them) and decides colour before citty can load (it reads NO_COLOR once).
 */
export async function parse(argv: string[], root: AnyCommand, parsers: readonly ArgParser[] = PARSERS): Promise<CommandLine> {
  // Bun decodes argv lossily: an argument holding U+FFFD may have held invalid UTF-8 (see argv-utf8.ts)
  if (argv.some((a) => a.includes("\uFFFD"))) checkArgvUtf8(argv);
  const { globals, rest } = extractGlobals(argv);
  setGlobals(globals);
  if (rest.length === 1 && (rest[0] === "--version" || rest[0] === "-V" || rest[0] === "-v")) {
    return { kind: "print", text: `${programName()} ${VERSION}`, exitCode: 0 };
  }
  if (globals.color === "never" || (globals.color === "auto" && !isTerminal(1))) process.env.NO_COLOR = "1";
  if (globals.color === "always") delete process.env.NO_COLOR; // the flag, given on purpose, beats the environment

  if (rest.length === 0 || rest[0] === "help") {
    const target = await resolveCommand(root, rest.slice(1));
    rejectUnknownCommand(target.cmd, target.path, target.rest);
    return { kind: "print", text: await renderHelp(target.cmd, target.path), exitCode: rest.length === 0 ? 2 : 0 };
  }
  const { cmd, path, rest: words } = await resolveCommand(root, rest);
  // before --help: `pls nonesuch --help` names no command, so it is an error, not the main help
  rejectUnknownCommand(cmd, path, words);
  if (rest.includes("--help") || rest.includes("-h")) return { kind: "print", text: await renderHelp(cmd, path), exitCode: 0 };
  if (path.length === 0) throw new PlasmiteError("Usage", `unknown command '${rest[0]}'`, { hint: `Try \`${programName()} --help\`.` });
  if (cmd.subCommands && !cmd.args) {
    throw new PlasmiteError("Usage", `\`${path.join(" ")}\` needs a subcommand`, { hint: `Try \`${programName()} ${path.join(" ")} --help\`.` });
  }
  const defs = (cmd.args ?? {}) as ArgDefs;
  const flags = flagTable(defs);
  // a command with subcommands of its own (serve) reports stray words itself
  rejectBadArgs(words, defs, path.join(" "), !cmd.subCommands, flags);
  return { kind: "run", cmd, path, rawArgs: words, args: await parseWords(words, { defs, flags, path }, parsers) };
}

/** The first parser's result that does not refuse the shape (the last refusal when all do). */
async function parseWords(words: string[], command: Parameters<ArgParser["parse"]>[1], parsers: readonly ArgParser[]): Promise<ParsedArgs> {
  let refusal: NeedsFullParser | undefined;
  for (const parser of parsers) {
    try {
      return await parser.parse(words, command);
    } catch (err) {
      if (!(err instanceof NeedsFullParser)) throw err;
      refusal = err;
    }
  }
  throw refusal ?? new NeedsFullParser("no parser given");
}
