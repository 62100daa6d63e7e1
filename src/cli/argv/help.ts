// Help text, rendered by citty from the same definitions the parsers read, then adjusted: the full command path
// in the usage line, subcommands listed by the first line of their description, no "(NAME vVERSION)" tag, no
// padding at line ends, and examples naming the program as it runs (`plasmite` or `pls`). Colour is ours, not
// citty's: citty decides once, at import, from NO_COLOR, TERM, CI and TEST, so `--color always` under CI printed
// plain help; its codes are removed and the same styles applied when colorOn("stdout") says so.
import { colorOn } from "../output.ts";
import { loadCommand, subcommandsOf, type AnyCommand } from "./define.ts";
import { programName } from "./program-name.ts";

/** The help of the command at `path` (the root when empty). Loads citty. */
export async function renderHelp(cmd: AnyCommand, path: readonly string[]): Promise<string> {
  const parent = path.length === 0 ? undefined : { meta: { name: [programName(), ...path.slice(0, -1)].join(" ") } };
  const { renderUsage } = await import("citty");
  const text = await renderUsage((await withShortListing(cmd)) as never, parent as never);
  const plain = forProgramName(withoutNameTag(text.replace(SGR, ""), cmd, parent));
  return colorOn("stdout") ? styled(plain) : plain;
}

const SGR = /\x1b\[[0-9;]*m/g;
const paint = (code: string, off: string) => (text: string) => `\x1b[${code}m${text}\x1b[${off}m`;
const heading = paint("1;4", "22;24");
const name = paint("36", "39");
const quiet = paint("90", "39");

/** citty's look: the description grey, headings bold and underlined, the usage line, arguments and flags cyan. */
function styled(text: string): string {
  const lines = text.split("\n");
  const firstHeading = lines.findIndex((line) => /^[A-Z]{3,}\b/.test(line));
  return lines
    .map((line, i) => {
      if (i < firstHeading) return line === "" ? line : quiet(line);
      const head = /^([A-Z]{3,})( (.*))?$/.exec(line);
      if (head) return heading(head[1]!) + (head[3] ? ` ${name(head[3])}` : "");
      const row = /^(\s+)(\S.*?)(\s{2,})(.*)$/.exec(line); // "  NAME    description"
      if (row) return row[1] + name(row[2]!) + row[3] + row[4]!.replace(/\((Required|default: [^)]*)\)$/, (m) => quiet(m));
      return line;
    })
    .join("\n");
}

/** The command with each subcommand's description cut to its first line (citty lists whole descriptions). */
async function withShortListing(cmd: AnyCommand): Promise<AnyCommand> {
  const subs = await subcommandsOf(cmd);
  if (!subs) return cmd;
  const short: Record<string, AnyCommand> = {};
  for (const [name, sub] of Object.entries(subs)) {
    const def = (await loadCommand(sub)) as AnyCommand & { meta?: { description?: string } };
    short[name] = { ...def, meta: { ...def.meta, description: def.meta?.description?.split("\n")[0] } };
  }
  return { ...cmd, subCommands: short };
}

/** citty ends the description with "(NAME vVERSION)"; the usage line right below names the command already. */
function withoutNameTag(text: string, cmd: AnyCommand, parent: { meta: { name: string } } | undefined): string {
  const meta = (cmd.meta ?? {}) as { name?: string; version?: string };
  return text.replace(` (${parent ? `${parent.meta.name} ` : ""}${meta.name}${meta.version ? ` v${meta.version}` : ""})`, "");
}

/** Help examples are written for `pls`; show the name the program runs as. */
function forProgramName(text: string): string {
  const trimmed = text.replace(/[ \t]+$/gm, ""); // citty pads every listed line to the widest one
  const name = programName();
  return name === "pls" ? trimmed : trimmed.replace(/(^|\s)pls (?=[a-z-])/g, `$1${name} `);
}
