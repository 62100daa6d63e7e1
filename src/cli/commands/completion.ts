// `pls completion bash|zsh|fish`: shell completion scripts, generated from the command definitions so they
// never drift from the real flags.
import { defineCommand } from "../args.ts";
import { longFlags, loadCommand, type AnyCommand, type ArgDefs } from "../argv/define.ts";
import { GLOBAL_FLAGS } from "../argv/globals.ts";
import { PlasmiteError } from "../../errors.ts";

interface Spec {
  path: string;
  flags: string[];
  subcommands: string[];
}

/** Every command path under `cmd` with its flags (from the command's flag table) and subcommands. */
async function collect(cmd: AnyCommand, path: string, out: Spec[]): Promise<void> {
  const subs = (cmd.subCommands ?? {}) as Record<string, unknown>;
  out.push({ path, flags: [...longFlags((cmd.args ?? {}) as ArgDefs), "--help"], subcommands: Object.keys(subs) });
  for (const [name, sub] of Object.entries(subs)) await collect(await loadCommand(sub), path ? `${path} ${name}` : name, out);
}

export function completionCommand(root: AnyCommand, programName: string) {
  return defineCommand({
    meta: { name: "completion", description: "Print a shell completion script.\n\nExamples:\n  pls completion bash > ~/.local/share/bash-completion/completions/pls\n  pls completion zsh > \"${fpath[1]}/_pls\"\n  pls completion fish > ~/.config/fish/completions/pls.fish" },
    args: { shell: { type: "positional", description: "bash, zsh or fish", required: true } },
    async run({ args }) {
      const specs: Spec[] = [];
      await collect(root, "", specs);
      const globals = [...GLOBAL_FLAGS];
      const shell = String(args.shell);
      const names = programName === "plasmite" ? ["plasmite", "pls"] : ["pls", "plasmite"];
      if (shell === "bash") return void await Bun.write(Bun.stdout, bash(specs, globals, names));
      if (shell === "zsh") return void await Bun.write(Bun.stdout, zsh(specs, globals, names));
      if (shell === "fish") return void await Bun.write(Bun.stdout, fish(specs, globals, names));
      throw new PlasmiteError("Usage", `unsupported shell '${shell}'`, { hint: "Use bash, zsh or fish." });
    },
  });
}

function bash(specs: Spec[], globals: string[], names: string[]): string {
  const cases = specs
    .map((s) => `    "${s.path}") words="${[...s.subcommands, ...s.flags, ...globals].join(" ")}" ;;`)
    .join("\n");
  return `# bash completion for ${names.join(" and ")}
_plasmite_complete() {
  local cur path="" i w words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in
      --dir|--color) ((i++)); continue ;;
      -*) continue ;;
    esac
    case " $(_plasmite_subs "$path") " in
      *" $w "*) path="\${path:+$path }$w" ;;
    esac
  done
  case "$path" in
${cases}
    *) words="" ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
${subsFunction(specs)}complete -o default -F _plasmite_complete ${names.join(" ")}
`;
}

/** Shell function (same in bash and zsh) naming the subcommands of a command path. */
function subsFunction(specs: Spec[]): string {
  const cases = specs.map((s) => `    "${s.path}") echo "${s.subcommands.join(" ")}" ;;`).join("\n");
  return `_plasmite_subs() {\n  case "$1" in\n${cases}\n  esac\n}\n`;
}

function zsh(specs: Spec[], globals: string[], names: string[]): string {
  return `#compdef ${names.join(" ")}
# zsh completion for ${names.join(" and ")}
_plasmite() {
  local -a words_
  local path_="" w
  local i
  for ((i = 2; i < CURRENT; i++)); do
    w="\${words[i]}"
    case "$w" in
      --dir|--color) ((i++)); continue ;;
      -*) continue ;;
    esac
    case " $(_plasmite_subs "$path_") " in
      *" $w "*) path_="\${path_:+$path_ }$w" ;;
    esac
  done
  case "$path_" in
${specs.map((s) => `    "${s.path}") words_=(${[...s.subcommands, ...s.flags, ...globals].join(" ")}) ;;`).join("\n")}
  esac
  compadd -a words_
  _files
}
${subsFunction(specs)}compdef _plasmite ${names.join(" ")}
`;
}

function fish(specs: Spec[], globals: string[], names: string[]): string {
  const lines: string[] = [`# fish completion for ${names.join(" and ")}`];
  for (const name of names) {
    for (const g of globals) lines.push(`complete -c ${name} -l ${g.slice(2)} -r`);
    for (const s of specs) {
      const cond = s.path === "" ? "__fish_use_subcommand" : `__fish_seen_subcommand_from ${s.path.split(" ").at(-1)}`;
      for (const sub of s.subcommands) lines.push(`complete -c ${name} -f -n '${cond}' -a ${sub}`);
      for (const f of s.flags) lines.push(`complete -c ${name} -n '${cond}' -l ${f.slice(2)}`);
    }
  }
  return lines.join("\n") + "\n";
}
