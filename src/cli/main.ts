#!/usr/bin/env bun
// The `pls` / `plasmite` command line: parse argv (argv/parse.ts), run the command it names, and turn errors
// into exit codes (the one place that does).
import { parse } from "./argv/parse.ts";
import { usageFromCitty } from "./argv/full.ts";
import { root } from "./commands/index.ts";
import { presentError } from "./present.ts";

async function main(argv: string[]): Promise<number> {
  const line = await parse(argv, root);
  if (line.kind === "print") {
    console.log(line.text);
    return line.exitCode;
  }
  await line.cmd.run?.({ rawArgs: line.rawArgs, args: line.args, cmd: line.cmd });
  return 0;
}

// No top-level await: `bun build --compile --bytecode` needs a module it can load as CommonJS.
// Every command has finished (and awaited its writes) when main settles, so the process exits right away
// (process.exit skips the runtime's orderly teardown, which a one-shot command does not need).
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const code = (err as { code?: unknown }).code;
    if (err instanceof Error && err.name === "ExitCode" && typeof code === "number") process.exit(code);
    if (err instanceof Error && err.name === "CLIError") process.exit(presentError(usageFromCitty(err, "Try `pls --help`.")));
    process.exit(presentError(err));
  },
);
