// What a person at a terminal sees (issue #18): colour only for meaning, commands that say what they are doing,
// an ingest summary that tells what the ring kept. Real processes; terminals are pseudo-terminals (`script`).
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUN, MAIN, pls, tempRoot, type RunResult } from "./test-harness.ts";

const root = tempRoot("terminal");
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `d${n++}`);

const RED = "\x1b[31m";
const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;

/**
 * Runs a shell command line under a pseudo-terminal; `PLS` in it stands for the CLI. `interruptAfterS`: the
 * command gets SIGINT (as from Ctrl-C) after that many seconds.
 */
function onTerminal(commandLine: string, env: Record<string, string> = {}, interruptAfterS?: number): RunResult {
  const pls = `${quote(BUN)} ${quote(MAIN)}`;
  let line = commandLine.replaceAll("PLS", pls);
  if (interruptAfterS !== undefined) line = `timeout -s INT ${interruptAfterS} ${line}`;
  const r = Bun.spawnSync(["script", "-qefc", line, "/dev/null"], { env: { ...process.env, TERM: "xterm", NO_COLOR: "", ...env } });
  return { code: r.exitCode ?? 128, out: r.stdout.toString().replace(/\r\n/g, "\n"), err: r.stderr.toString() };
}

describe("colour is for meaning", () => {
  test("the stream summary and the serve banner are in the terminal's colour; an error label is red", () => {
    const dir = freshDir();
    const input = join(root, "two.jsonl");
    writeFileSync(input, '{"a":1}\n{"a":2}\n');
    const poke = onTerminal(`PLS --dir ${dir} poke p --create --file ${input}`);
    expect(poke.code).toBe(0);
    expect(poke.out).toContain("appended 2 message(s) to p");
    expect(poke.out).not.toContain(RED);
    const serve = onTerminal(`PLS --dir ${dir} serve --bind 127.0.0.1:0`, {}, 2);
    expect(serve.out).toContain("base_url: http://127.0.0.1:");
    expect(serve.out).not.toContain(RED);
    const err = onTerminal(`PLS --dir ${dir} get missing 1`);
    expect(err.code).toBe(3);
    expect(err.out).toContain(`${RED}error:\x1b[39m pool not found`);
    expect(err.out.split("\n").filter((l) => l.startsWith("\x1b[33mhint:"))[0]).not.toContain(RED);
  });
});
