// `pls get POOL SEQ`: print one message by seq.
import { defineCommand } from "citty";
import { client } from "../context.ts";
import { parseSeq } from "../values.ts";

export default defineCommand({
  meta: { name: "get", description: "Fetch one message by seq.\n\nExample:\n  pls get chat 1" },
  args: {
    pool: { type: "positional", description: "Pool name or path", required: true },
    seq: { type: "positional", description: "Message seq", required: true },
  },
  run({ args }) {
    const pool = client().openPool(String(args.pool));
    const json = pool.getJson(parseSeq(String(args.seq)));
    process.stdout.write((process.stdout.isTTY ? JSON.stringify(JSON.parse(json), null, 2) : json) + "\n");
    pool.close();
  },
});
