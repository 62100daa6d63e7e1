// What a `pls poke` stream reads (piped stdin or --file), checked before any pool is opened or created, so a
// wrong input fails with its own kind (Usage, NotFound, Permission) and creates nothing. Never reads the input.
import { accessSync, constants, fstatSync, statSync } from "node:fs";
import { PlasmiteError } from "../errors.ts";
import { isTerminal } from "../platform/files.ts";

/** Throws unless `file` (stdin for undefined or "-") can be streamed: present, readable, not a directory. */
export function checkStreamInput(file: string | undefined): void {
  if (file === undefined || file === "-") return checkStdin(file === undefined);
  try {
    if (statSync(file).isDirectory()) {
      throw new PlasmiteError("Usage", `--file is a directory: '${file}'`, { path: file, hint: "Give a file of records (JSON Lines, JSON, JSON-seq), or - for stdin." });
    }
    accessSync(file, constants.R_OK);
  } catch (err) {
    if (err instanceof PlasmiteError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") {
      throw new PlasmiteError("NotFound", `--file not found: '${file}'`, { path: file, hint: "Check the path; --file - reads stdin." });
    }
    if (code === "EACCES" || code === "EPERM") throw new PlasmiteError("Permission", `--file is not readable: '${file}'`, { path: file });
    throw err;
  }
}

function checkStdin(implicit: boolean): void {
  if (implicit && isTerminal(0)) {
    throw new PlasmiteError("Usage", "missing data input", { hint: "Provide JSON via DATA, --file, or pipe JSON to stdin." });
  }
  let isDirectory = false;
  try {
    isDirectory = fstatSync(0).isDirectory();
  } catch {
    return; // a closed stdin reads as empty: the ingest says "the stream held no records"
  }
  if (isDirectory) {
    throw new PlasmiteError("Usage", "stdin is a directory, not a stream of records", { hint: "Redirect a file (pls poke POOL < events.jsonl), pipe one in, or pass --file FILE." });
  }
}
