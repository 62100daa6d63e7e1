// `pls mcp`: serve the pool directory to AI agents over MCP on stdin/stdout. The MCP code and its SDK load in run()
// only, never for help or completion.
import { PlasmiteError } from "../../errors.ts";
import { defineCommand } from "../args.ts";
import { globals } from "../context.ts";
import { lockTimeoutFrom } from "../pools.ts";
import { printErrLine, stderrIsTTY } from "../output.ts";
import { isTerminal } from "../../platform/files.ts";

export default defineCommand({
  meta: {
    name: "mcp",
    description: [
      "Serve pools to AI agents over MCP (JSON-RPC on stdin/stdout): tools to list, create, read, feed and wait on pools.",
      "The pools are those of --dir (default ~/.plasmite/pools). `pls serve` answers the same at /mcp over HTTP.",
      "",
      "Examples:",
      "  claude mcp add plasmite -- pls mcp",
      "  pls mcp --dir ./pools --access read-only",
    ].join("\n"),
  },
  args: {
    access: { type: "string", description: "read-only, write-only or read-write (default): which tools are offered" },
    "lock-timeout": { type: "string", description: "MS a feed waits for another writer's lock before Busy (default 5000; env PLASMITE_LOCK_TIMEOUT_MS)" },
  },
  async run({ args }) {
    const access = args.access === undefined ? "read-write" : String(args.access);
    if (access !== "read-only" && access !== "write-only" && access !== "read-write") {
      throw new PlasmiteError("Usage", `invalid --access '${access}'`, { hint: "Use read-only, write-only or read-write." });
    }
    const lockTimeoutMs = lockTimeoutFrom(args["lock-timeout"]);
    // typed at a terminal: say what this is (stdout stays JSON-RPC only)
    if (isTerminal(0) && stderrIsTTY()) printErrLine("pls mcp: an MCP server reading JSON-RPC on stdin; start it from an agent, e.g. `claude mcp add plasmite -- pls mcp`. Ctrl-D ends it.");
    const { runMcpStdio } = await import("../../mcp/stdio.ts");
    await runMcpStdio({ dir: globals().dir, access, lockTimeoutMs });
  },
});
