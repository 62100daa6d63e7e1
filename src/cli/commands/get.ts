// `pls get POOL SEQ`: print one message by seq (pretty and coloured on a terminal, one line when piped).
import { defineCommand } from "citty";
import { openPool } from "../context.ts";
import { formatJson, printLine, stdoutIsTTY } from "../output.ts";
import { parseSeq } from "../values.ts";

export default defineCommand({
  meta: { name: "get", description: "Fetch one message by seq.\n\nExamples:\n  pls get chat 1\n  pls get chat 42 | jq .data" },
  args: {
    pool: { type: "positional", description: "Pool name or path", required: true },
    seq: { type: "positional", description: "Message seq (see `pls pool info POOL` for the retained range)", required: true },
  },
  run({ args }) {
    const seq = parseSeq(String(args.seq));
    const pool = openPool(String(args.pool));
    try {
      const json = pool.getJson(seq);
      printLine(stdoutIsTTY() ? formatJson(JSON.parse(json), true) : json);
    } finally {
      pool.close();
    }
  },
});
