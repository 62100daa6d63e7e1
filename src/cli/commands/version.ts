// `pls version [--json]`: the version line, or JSON with the runtime and the OS binding in use.
import { defineCommand } from "citty";
import { nativeBackend } from "../../platform/files.ts";
import { hostTarget } from "../../platform/target.ts";
import { VERSION } from "../version.ts";

export function versionCommand(programName: string) {
  return defineCommand({
    meta: { name: "version", description: "Print the version.\n\nExamples:\n  pls version\n  pls version --json" },
    args: { json: { type: "boolean", description: "Also report the runtime, platform and OS binding (shim or libc)" } },
    run({ args }) {
      if (!args.json) return void console.log(`${programName} ${VERSION}`);
      console.log(JSON.stringify({ name: programName, version: VERSION, bun: Bun.version, platform: hostTarget(), native: nativeBackend() }));
    },
  });
}
