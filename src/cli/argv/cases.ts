// The one table of command lines every argument parser is run against (parse.test.ts runs it through parse()
// with the quick parser alone, with citty alone, and with both in their real order). A case gives the words
// after the program name and what they must give: the command path and its parsed arguments (only the keys
// listed are compared), the text printed, or the Usage error. The quick parser may refuse any case
// (NeedsFullParser); when it answers, it must answer this.

export interface ArgvCase {
  argv: string[];
  /** The command the words name (`"pool create"`) and the arguments it gets. */
  run?: { path: string; args: Record<string, unknown> };
  /** Printed instead of running a command (--version, help), with this exit code. */
  print?: { includes: string; exitCode: number };
  /** The Usage error's message. */
  error?: string;
  /** The quick parser answers this case itself (a one-shot command must not load citty). */
  quick?: boolean;
}

export const ARGV_CASES: readonly ArgvCase[] = [
  // the everyday shapes: answered without citty
  { argv: ["poke", "chat", '{"from": "alice"}'], run: { path: "poke", args: { _: ["chat", '{"from": "alice"}'], pool: "chat", data: '{"from": "alice"}' } }, quick: true },
  { argv: ["poke", "chat", "--create", '{"a":1}'], run: { path: "poke", args: { pool: "chat", data: '{"a":1}', create: true } }, quick: true },
  { argv: ["poke", "chat", '{"a":1}', "--create"], run: { path: "poke", args: { data: '{"a":1}', create: true } }, quick: true },
  { argv: ["poke", "incidents", "--tag", "sev1", "--tag", "billing", "{}"], run: { path: "poke", args: { tag: "billing", data: "{}" } }, quick: true },
  { argv: ["poke", "chat", "-t", "a", "{}"], run: { path: "poke", args: { tag: "a" } }, quick: true },
  { argv: ["poke", "chat", "--tag=a", "--durability=flush", "{}"], run: { path: "poke", args: { tag: "a", durability: "flush", data: "{}" } }, quick: true },
  { argv: ["poke", "chat", "-f", "-", "-i", "jsonl"], run: { path: "poke", args: { file: "-", in: "jsonl", data: undefined, create: undefined } } },
  { argv: ["poke", "chat", "--create", "--create-size", "8M", "{}"], run: { path: "poke", args: { "create-size": "8M", create: true } }, quick: true },
  { argv: ["--dir", "/tmp/x", "poke", "chat", "{}", "--color", "never"], run: { path: "poke", args: { _: ["chat", "{}"], pool: "chat" } }, quick: true },
  { argv: ["feed", "chat", "--tag", "t", "{}"], run: { path: "feed", args: { pool: "chat", tag: "t", data: "{}" } }, quick: true },
  { argv: ["get", "chat", "7"], run: { path: "get", args: { pool: "chat", seq: "7" } }, quick: true },
  { argv: ["fetch", "chat", "1"], run: { path: "fetch", args: { pool: "chat", seq: "1" } }, quick: true },
  { argv: ["peek", "ci", "--where", '.data.status == "green"', "--one"], run: { path: "peek", args: { pool: "ci", where: '.data.status == "green"', one: true } }, quick: true },
  { argv: ["peek", "chat", "--tail", "20", "--jsonl"], run: { path: "peek", args: { tail: "20", jsonl: true, one: undefined } }, quick: true },
  { argv: ["follow", "chat", "-n", "5", "--timeout", "10ms"], run: { path: "follow", args: { pool: "chat", tail: "5", timeout: "10ms" } }, quick: true },
  { argv: ["duplex", "room", "--me", "alice", "--echo-self", "-n", "20"], run: { path: "duplex", args: { pool: "room", me: "alice", "echo-self": true, tail: "20" } }, quick: true },
  { argv: ["pool", "create", "big", "--size", "8M", "--index-capacity", "4096"], run: { path: "pool create", args: { name: "big", size: "8M", "index-capacity": "4096" } }, quick: true },
  { argv: ["pool", "create", "a", "b", "c"], run: { path: "pool create", args: { _: ["a", "b", "c"], name: "a" } }, quick: true },
  { argv: ["pool", "list", "--json"], run: { path: "pool list", args: { json: true } }, quick: true },
  { argv: ["doctor", "--all"], run: { path: "doctor", args: { all: true, pool: undefined } }, quick: true },
  { argv: ["serve", "--bind", "127.0.0.1:9701", "check"], run: { path: "serve check", args: { bind: "127.0.0.1:9701" } }, quick: true },
  // rarer shapes: citty's
  { argv: ["poke", "chat", "--", "{}"], run: { path: "poke", args: { pool: "chat", data: "{}" } } },
  { argv: ["poke", "chat", "--no-create", "{}"], run: { path: "poke", args: { create: false, data: "{}" } } },
  { argv: ["poke", "chat", "--create=false", "{}"], error: "option '--create' does not take a value" },
  { argv: ["tap", "build", "--create", "-q", "--", "make", "-j4"], run: { path: "tap", args: { pool: "build", create: true, quiet: true, _: ["build", "make", "-j4"] } } },
  { argv: ["get", "chat", "-5"], error: "Missing required positional argument: SEQ" },
  // refusals, the same whichever parser would have run
  { argv: ["peek"], error: "Missing required positional argument: POOL" },
  { argv: ["fetch"], error: "Missing required positional argument: POOL" },
  { argv: ["poke", "chat", "--tial", "{}"], error: "unknown option '--tial' for `poke`" },
  { argv: ["get", "chat", "1", "2"], error: "unexpected argument '2' for `get`" },
  { argv: ["poke", "chat", "{", "}"], error: "unexpected argument '}' for `poke`" },
  { argv: ["peak", "chat"], error: "unknown command 'peak'" },
  { argv: ["pool", "craete", "x"], error: "unknown command 'pool craete'" },
  { argv: ["pool"], error: "`pool` needs a subcommand" },
  { argv: ["--dir"], error: "--dir needs a value" },
  { argv: ["--color", "sometimes", "pool", "list"], error: "invalid value for --color: 'sometimes'" },
  // printed, not run
  { argv: ["--version"], print: { includes: " ", exitCode: 0 } },
  { argv: ["poke", "--help"], print: { includes: "--create-size", exitCode: 0 } },
  { argv: ["help", "pool"], print: { includes: "create", exitCode: 0 } },
  { argv: [], print: { includes: "poke", exitCode: 2 } },
];
