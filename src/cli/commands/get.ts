// `pls get POOL SEQ`: print one message by seq (pretty and coloured on a terminal, one line when piped).
import { defineCommand } from "../args.ts";
import { PlasmiteError } from "../../errors.ts";
import { openPool } from "../pools.ts";
import { colorForced, colorOn, printLine, stdoutIsTTY } from "../output.ts";
import { parseSeq } from "../values.ts";
import { isRemote, rejectRemoteFlags, remoteFlags, remotePool } from "../remote.ts";

export default defineCommand({
  meta: { name: "get", description: "Fetch one message by seq (also: fetch).\n\nExamples:\n  pls get chat 1\n  pls get chat 42 | jq .data\n  pls get http://host:9700/chat 1 --token-file plasmite-auth-token.txt" },
  args: {
    pool: { type: "positional", description: "Pool name, path, or http(s)://host:port/POOL", required: true },
    seq: { type: "positional", description: "Message seq (see `pls pool info POOL` for the retained range)", required: true },
    ...remoteFlags,
  },
  async run({ args, cmd }) {
    const command = (cmd?.meta as { name?: string } | undefined)?.name ?? "get";
    const seq = parseSeq(String(args.seq));
    const ref = String(args.pool);
    if (isRemote(ref)) {
      const json = await (await remotePool(ref, args)).getJson(seq);
      return printLine(shown(json));
    }
    rejectRemoteFlags(args, ref);
    const pool = openPool(ref);
    try {
      const json = pool.getJson(seq);
      printLine(shown(json));
    } catch (err) {
      if (err instanceof PlasmiteError && err.kind === "NotFound" && err.hint === undefined) {
        throw new PlasmiteError("NotFound", err.message, { path: err.path, seq: err.seq, hint: `See what is retained: pls pool info ${ref} (or pls ${command === "fetch" ? "follow" : "peek"} ${ref} --tail 10).` });
      }
      throw err;
    } finally {
      pool.close();
    }
  },
});

/** Pretty on a terminal; piped, the stored text as it is (coloured on one line with --color always). */
function shown(json: string): string {
  if (!stdoutIsTTY() && !colorForced()) return json;
  // the printer loads only when it is used
  const { prettyText } = require("../pretty.ts") as typeof import("../pretty.ts");
  return stdoutIsTTY() ? prettyText(json, colorOn("stdout")) : prettyText(json, true, true);
}
