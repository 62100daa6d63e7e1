// Command-line arguments that are not valid UTF-8. Bun hands argv over as strings, each invalid byte already
// replaced by U+FFFD, so `pls poke chat $'{"a":"\xff"}'` would store a replacement character nobody typed. An
// argument holding U+FFFD is therefore checked against the bytes the kernel was given (/proc/self/cmdline on
// Linux); where those cannot be read, U+FFFD in an argument is refused (it cannot be told apart from a decoded
// invalid byte). Loaded by main.ts only when an argument holds U+FFFD.
// Limit: under the npm launcher run by Node (not Bun), Node has replaced the bytes before Bun starts, so a
// replacement character arrives as valid UTF-8 and is kept.
import { PlasmiteError } from "../errors.ts";
import { fs } from "../platform/lazy-node.ts";

const REPLACEMENT = "\uFFFD";

/** Throws Usage when an argument (as in `process.argv.slice(2)`) was not valid UTF-8 on the command line. */
export function checkArgvUtf8(args: readonly string[], cmdline: Uint8Array | null = readCmdline()): void {
  const raw = cmdline === null ? null : splitCmdline(cmdline);
  // the user's arguments are the last ones of the process's command line (before them: bun and the script, or
  // the compiled binary)
  const offset = raw === null ? 0 : raw.length - args.length;
  const decoder = new TextDecoder("utf-8", { fatal: true });
  for (let i = 0; i < args.length; i++) {
    if (!args[i].includes(REPLACEMENT)) continue;
    const bytes = raw !== null && offset >= 0 ? raw[offset + i] : null;
    let valid = false;
    if (bytes) {
      try {
        valid = decoder.decode(bytes) === args[i];
      } catch {
        valid = false;
      }
    }
    if (!valid) {
      const shown = args[i].length > 60 ? `${args[i].slice(0, 60)}…` : args[i];
      throw new PlasmiteError("Usage", `argument ${i + 1} is not valid UTF-8: '${shown}' (U+FFFD marks the bytes that are not)`, {
        hint: bytes === null
          ? "This system does not show the argument's bytes, so U+FFFD cannot be told from an invalid byte; send such text on stdin or with --file."
          : "Arguments must be UTF-8; convert the text first (e.g. iconv -t UTF-8), or send it on stdin or with --file.",
      });
    }
  }
}

function readCmdline(): Uint8Array | null {
  try {
    return fs().readFileSync("/proc/self/cmdline");
  } catch {
    return null;
  }
}

/** NUL-terminated arguments. */
function splitCmdline(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0) continue;
    out.push(bytes.subarray(start, i));
    start = i + 1;
  }
  if (start < bytes.length) out.push(bytes.subarray(start));
  return out;
}
