// The retention-gap error: the one spelling every fail-closed reader uses (peek, the library's and the remote
// client's tails, the server's tails, MCP reads, bridge out). Messages fromSeq..toSeq were overwritten before
// the reader got them; `seq` is the first missing one, so a script can resume from toSeq + 1.
import { PlasmiteError } from "../errors.ts";

export function retentionGapError(fromSeq: number, toSeq: number, details: { path?: string; hint?: string } = {}): PlasmiteError {
  const range = fromSeq === toSeq ? `message ${fromSeq} is` : `messages ${fromSeq}-${toSeq} are`;
  return new PlasmiteError("RetentionGap", `${range} no longer retained; the next available message is ${toSeq + 1}`, {
    seq: fromSeq,
    path: details.path,
    hint: details.hint ?? "The writer overwrote them before this reader got them: read faster, or use a larger pool.",
  });
}
