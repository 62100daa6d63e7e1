#!/usr/bin/env bun
// The `pls` / `plasmite` command line: global options, lazy subcommands (each loads only what it needs),
// and the one place errors become exit codes.
import { PlasmiteError } from "../errors.ts";
import { flagTable, rejectBadArgs } from "./args.ts";
import { quickParse } from "./quick-args.ts";
import { extractGlobals, setGlobals } from "./context.ts";
import { presentError } from "./present.ts";
import { isTerminal } from "../platform/files.ts";
import { VERSION } from "./version.ts";

// The name the user typed: argv[1] for `bun main.ts`/links, the launcher's hint under Node, argv0 for binaries.
// Worked out only when shown (help, errors, completion): reading execPath and the environment costs ~0.05 ms
// of every command otherwise.
const basename = (p: string) => p.slice(p.lastIndexOf("/") + 1);
let shownName: string | undefined;
function programName(): string {
  if (shownName === undefined) {
    const named = (c: string | undefined) => c === "plasmite" || c === "plasmite.ts" || c === "plasmite.js" || c === "plasmite.cjs";
    // plain calls, not Array.prototype.some: JSC's array builtins cost 20-130 µs on first use
    shownName = named(process.env.PLASMITE_PROGRAM_NAME) || named(basename(process.execPath)) || named(basename(process.argv[1] ?? "")) ? "plasmite" : "pls";
  }
  return shownName;
}

const poke = () => import("./commands/poke.ts").then((m) => m.default);
const peek = () => import("./commands/peek.ts").then((m) => m.default);
const get = () => import("./commands/get.ts").then((m) => m.default);

/**
 * `feed`/`follow`/`fetch` (the names since plasmite v0.3) are `poke`/`peek`/`get` under another name: the same
 * definition, so every flag is shared; help, errors and notices name the command as typed (meta.name).
 */
const named =
  <T extends { meta?: unknown }>(load: () => Promise<T>, name: string, of: string) =>
  async (): Promise<T> => {
    const def = await load();
    const meta = def.meta as { description?: string } | undefined;
    const description = meta?.description?.replaceAll(`pls ${of} `, `pls ${name} `).replace(`(also: ${name})`, `(also: ${of})`);
    return { ...def, meta: { ...meta, name, description } };
  };

const subCommands = {
  poke,
  feed: named(poke, "feed", "poke"),
  peek,
  follow: named(peek, "follow", "peek"),
  get,
  fetch: named(get, "fetch", "get"),
  tap: () => import("./commands/tap.ts").then((m) => m.default),
  duplex: () => import("./commands/duplex.ts").then((m) => m.default),
  pool: () => import("./commands/pool.ts").then((m) => m.default),
  doctor: () => import("./commands/doctor.ts").then((m) => m.default),
  serve: () => import("./commands/serve.ts").then((m) => m.default),
  mcp: () => import("./commands/mcp.ts").then((m) => m.default),
  bridge: () => import("./commands/bridge.ts").then((m) => m.default),
  completion: () => import("./commands/completion.ts").then((m) => m.completionCommand(root as never, programName())),
  version: () => import("./commands/version.ts").then((m) => m.versionCommand(programName())),
};

// A plain object (citty's defineCommand is the identity): citty itself is imported only after colours are decided.
const root = {
  meta: {
    get name() {
      return programName();
    },
    version: VERSION,
    description: "Persistent JSON message pools backed by plain files.\n\n  poke (or feed)    sends messages (write)\n  peek (or follow)  watches messages (read/stream)\n  get (or fetch)    fetches one message by seq\n  tap               records a command's output lines\n  duplex            chat: send typed lines and see the others'\n\nGlobal options: --dir PATH (default ~/.plasmite/pools), --color auto|always|never",
  },
  subCommands,
};

type AnyCommand = { args?: unknown; subCommands?: unknown; meta?: unknown };

/** Finds the command a word path names (for --help and flag checking). */
async function resolvePath(words: string[]): Promise<{ cmd: AnyCommand; path: string[]; rest: string[] }> {
  let cmd: AnyCommand = root;
  const path: string[] = [];
  let i = 0;
  for (; i < words.length; i++) {
    const subs = (typeof cmd.subCommands === "function" ? await cmd.subCommands() : cmd.subCommands) as Record<string, unknown> | undefined;
    if (words[i].startsWith("-")) {
      const moved = subs && cmd.args ? subcommandAfterOptions(cmd.args, subs, words, i) : null;
      if (!moved) break;
      words = moved;
    }
    const w = words[i];
    if (!subs || !(w in subs)) break;
    const sub = subs[w];
    cmd = (typeof sub === "function" ? await sub() : sub) as AnyCommand;
    path.push(w);
  }
  return { cmd, path, rest: words.slice(i) };
}

/**
 * `pls serve --bind X check`: the Rust CLI puts a parent's options before its subcommand; the words as
 * `serve check --bind X` (the subcommand first), or null when no later word names a subcommand.
 */
function subcommandAfterOptions(args: unknown, subs: Record<string, unknown>, words: string[], from: number): string[] | null {
  const flags = flagTable(args as Record<string, { type: string }>);
  for (let j = from; j < words.length && words[j] !== "--"; j++) {
    const w = words[j];
    if (w.startsWith("-")) {
      if (!w.includes("=") && flags.get(w)?.type === "string") j++; // its value
    } else if (w in subs) return [...words.slice(0, from), w, ...words.slice(from, j), ...words.slice(j + 1)];
  }
  return null;
}

/** citty prints "PARENT NAME" in the usage line: make the parent the full command path ("pls pool"). */
function usageParent(path: string[]): { meta: { name: string } } | undefined {
  return path.length === 0 ? undefined : { meta: { name: [programName(), ...path.slice(0, -1)].join(" ") } };
}

/**
 * The command as help shows it: its subcommands listed by the first line of their description (citty lists
 * whole descriptions, examples included, padded to the widest line).
 */
async function withShortListing(cmd: AnyCommand): Promise<AnyCommand> {
  const subs = (typeof cmd.subCommands === "function" ? await cmd.subCommands() : cmd.subCommands) as Record<string, unknown> | undefined;
  if (!subs) return cmd;
  const short: Record<string, AnyCommand> = {};
  for (const [name, sub] of Object.entries(subs)) {
    const def = (typeof sub === "function" ? await sub() : sub) as AnyCommand & { meta?: { description?: string } };
    const description = def.meta?.description?.split("\n")[0];
    short[name] = { ...def, meta: { ...def.meta, description } };
  }
  return { ...cmd, subCommands: short };
}

/**
 * Throws Usage when a command that only groups others (the root, `pool`) is followed by a word that names none
 * of them, with the nearest name as a suggestion (suggest.ts loads only then).
 */
function rejectUnknownCommand(cmd: AnyCommand, path: string[], words: string[]): void {
  const word = words[0];
  if (!cmd.subCommands || cmd.args || word === undefined || word.startsWith("-")) return;
  const names = Object.keys(cmd.subCommands as Record<string, unknown>);
  const { closest } = require("./suggest.ts") as typeof import("./suggest.ts");
  const near = closest(word, path.length === 0 ? [...names, "help"] : names);
  const prefix = [programName(), ...path].join(" ");
  const help = `\`${prefix} --help\``;
  throw new PlasmiteError("Usage", `unknown command '${[...path, word].join(" ")}'`, { hint: near ? `Did you mean \`${prefix} ${near}\`? See ${help}.` : `See ${help}.` });
}

/** citty ends the description with "(NAME vVERSION)"; the usage line right below names the command already. */
function withoutNameTag(text: string, cmd: AnyCommand, parent: { meta: { name: string } } | undefined): string {
  const meta = (cmd.meta ?? {}) as { name?: string; version?: string };
  const tag = ` (${parent ? `${parent.meta.name} ` : ""}${meta.name}${meta.version ? ` v${meta.version}` : ""})`;
  const at = text.indexOf(tag);
  return at < 0 ? text : text.slice(0, at) + text.slice(at + tag.length);
}

/** Help examples are written for `pls`; show the name the program runs as. */
function helpText(text: string): string {
  const trimmed = text.replace(/[ \t]+$/gm, ""); // citty pads every listed line to the widest one
  const name = programName();
  return name === "pls" ? trimmed : trimmed.replace(/(^|\s)pls (?=[a-z-])/g, `$1${name} `);
}

async function main(argv: string[]): Promise<number> {
  // Bun decodes argv lossily: an argument holding U+FFFD may have held invalid UTF-8 (see argv-utf8.ts)
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].includes("\uFFFD")) continue;
    (require("./argv-utf8.ts") as typeof import("./argv-utf8.ts")).checkArgvUtf8(argv);
    break;
  }
  const { globals, rest } = extractGlobals(argv);
  setGlobals(globals);
  if (rest.length === 1 && (rest[0] === "--version" || rest[0] === "-V" || rest[0] === "-v")) {
    console.log(`${programName()} ${VERSION}`);
    return 0;
  }
  // citty reads NO_COLOR once, when it is first imported; it is loaded only when it is needed.
  if (globals.color === "never" || (globals.color === "auto" && !isTerminal(1))) process.env.NO_COLOR = "1";
  if (globals.color === "always") delete process.env.NO_COLOR; // the flag, given on purpose, beats the environment
  const renderUsage = async (cmd: AnyCommand, path: string[]) => {
    const parent = usageParent(path);
    return withoutNameTag(await (await import("citty")).renderUsage((await withShortListing(cmd)) as never, parent as never), cmd, parent);
  };
  if (rest.length === 0 || rest[0] === "help") {
    const target = await resolvePath(rest.slice(1));
    rejectUnknownCommand(target.cmd, target.path, target.rest);
    console.log(helpText(await renderUsage(target.cmd, target.path)));
    return rest.length === 0 ? 2 : 0;
  }
  const { cmd, path, rest: cmdArgs } = await resolvePath(rest);
  // before --help: `pls nonesuch --help` names no command, so it is an error, not the main help
  rejectUnknownCommand(cmd, path, cmdArgs);
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(helpText(await renderUsage(cmd, path)));
    return 0;
  }
  if (path.length === 0) {
    throw new PlasmiteError("Usage", `unknown command '${rest[0]}'`, { hint: `Try \`${programName()} --help\`.` });
  }
  const args = (cmd.args ?? {}) as Record<string, { type: string; alias?: string | string[] }>;
  if (cmd.subCommands && !cmd.args) {
    throw new PlasmiteError("Usage", `\`${path.join(" ")}\` needs a subcommand`, { hint: `Try \`${programName()} ${path.join(" ")} --help\`.` });
  }
  // a command with subcommands of its own (serve) reports stray words itself
  const flags = flagTable(args); // shared by both checks below
  rejectBadArgs(cmdArgs, args, path.join(" "), !cmd.subCommands, flags);
  const leaf = cmd as { run?: (ctx: { rawArgs: string[]; args: Record<string, unknown>; cmd: unknown }) => unknown };
  const quick = quickParse(cmdArgs, args, flags);
  if (quick && leaf.run) {
    await leaf.run({ rawArgs: cmdArgs, args: quick, cmd });
    return 0;
  }
  // The leaf only: citty would otherwise dispatch words to subcommands itself and then also run the parent.
  const { runCommand } = await import("citty");
  try {
    await runCommand({ ...cmd, subCommands: undefined } as never, { rawArgs: cmdArgs });
  } catch (err) {
    // citty's own refusals (a missing argument): point to this command's help, not the main one
    if (!(err instanceof Error) || err.name !== "CLIError") throw err;
    throw new PlasmiteError("Usage", err.message.replace(/\x1b\[[0-9;]*m/g, ""), { hint: `Try \`${programName()} ${path.join(" ")} --help\`.` });
  }
  return 0;
}

// No top-level await: `bun build --compile --bytecode` needs a module it can load as CommonJS.
// Every command has finished (and awaited its writes) when main settles, so the process exits right away:
// process.exit skips the runtime's orderly teardown, ~0.3 ms of every one-shot command.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const code = (err as { code?: unknown }).code;
    if (err instanceof Error && err.name === "ExitCode" && typeof code === "number") process.exit(code);
    if (err instanceof Error && err.name === "CLIError") process.exit(presentError(new PlasmiteError("Usage", err.message.replace(/\x1b\[[0-9;]*m/g, ""), { hint: "Try `pls --help`." })));
    process.exit(presentError(err));
  },
);
