// `pls version [--json]`: the version line, or JSON with the runtime and the OS binding in use.
import { defineCommand } from "../args.ts";
import { isTerminal, nativeBackend } from "../../platform/files.ts";
import { hostTarget } from "../../platform/target.ts";
import { VERSION } from "../version.ts";

export function versionCommand(programName: string) {
  return defineCommand({
    meta: { name: "version", description: "Print the version (a line on a terminal, JSON when piped).\n\nExamples:\n  pls version\n  pls version --json" },
    args: { json: { type: "boolean", description: "Also report the runtime, platform and OS binding (shim or libc)" } },
    run({ args }) {
      // A terminal gets a line; a script gets JSON (as the Rust CLI does from v0.6).
      if (!args.json) return void console.log(isTerminal(1) ? `${programName} ${VERSION}` : JSON.stringify({ name: programName, version: VERSION }));
      console.log(JSON.stringify({ name: programName, version: VERSION, bun: Bun.version, platform: hostTarget(), native: nativeBackend() }));
    },
  });
}
