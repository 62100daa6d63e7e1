// Every ```bash block of the README and the cookbook runs as written, in order, with an empty HOME and `pls` on
// PATH. A line that starts a server (`pls serve …`, not `serve init`/`check`) is run in the background until the
// server is ready, and the test stops it after the document's last block. ```sh blocks (install steps, the test
// command itself) are shown, not run. Exit 124 (`--timeout` with nothing more to print) counts as success.
import { afterAll, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");
const MAIN = join(ROOT, "src", "cli", "main.ts");
const BLOCK_TIMEOUT_MS = 60_000;
const DOC_TIMEOUT_MS = 240_000;
const SERVER_READY_TIMEOUT_MS = 20_000;
const scratch: string[] = [];

afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** The ```bash blocks of a markdown file, in order. */
function bashBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```bash\n([\s\S]*?)^```/gm)].map((m) => m[1]);
}

const SERVE_LINE = /^(pls|plasmite) serve(?!\s+(init|check)\b)(.*)$/;

/** Rewrites server lines to start in the background and wait until the server is ready. */
function withBackgroundServers(block: string): string {
  return block
    .split("\n")
    .map((line) => {
      const m = SERVE_LINE.exec(line.trim());
      if (!m) return line;
      return `__start_server ${m[3].replace(/#.*$/, "").trim()}`;
    })
    .join("\n");
}

const PRELUDE = `
set -o pipefail
trap 'rc=$?; if [ "$rc" -ne 124 ]; then echo "doc block failed (exit $rc): $BASH_COMMAND" >&2; exit "$rc"; fi' ERR
__start_server() {
  local ready="$DOC_STATE/ready-$RANDOM$RANDOM"
  PLASMITE_SERVE_READY_FILE="$ready" pls serve "$@" >>"$DOC_STATE/serve.log" 2>&1 &
  echo $! >>"$DOC_STATE/serve.pids"
  for _ in $(seq 1 ${SERVER_READY_TIMEOUT_MS / 50}); do [ -e "$ready" ] && return 0; sleep 0.05; done
  echo "server did not start within ${SERVER_READY_TIMEOUT_MS} ms: $(cat "$DOC_STATE/serve.log")" >&2
  return 1
}
`;

interface DocRun {
  cwd: string;
  failures: string[];
}

/** Runs a markdown file's bash blocks in one fresh HOME and working folder; returns where they ran. */
function runDoc(relPath: string): DocRun {
  const base = mkdtempSync(join(tmpdir(), "plasmite-doc-"));
  scratch.push(base);
  const home = join(base, "home");
  const cwd = join(base, "work");
  const bin = join(base, "bin");
  const state = join(base, "state");
  for (const d of [home, cwd, bin, state]) mkdirSync(d);
  for (const name of ["pls", "plasmite"]) {
    writeFileSync(join(bin, name), `#!/bin/sh\nexec "${process.execPath}" "${MAIN}" "$@"\n`);
    chmodSync(join(bin, name), 0o755);
  }
  const env: Record<string, string> = {
    PATH: `${bin}:${process.env.PATH}`,
    HOME: home,
    DOC_STATE: state,
    NO_COLOR: "1",
    TMPDIR: process.env.TMPDIR ?? "/tmp",
    LANG: "C.UTF-8",
  };
  const blocks = bashBlocks(readFileSync(join(ROOT, relPath), "utf8"));
  expect(blocks.length).toBeGreaterThan(0);
  const failures: string[] = [];
  try {
    for (const [i, block] of blocks.entries()) {
      const script = join(state, `block-${i}.sh`);
      // the trap has judged every command; `:` keeps a final 124 from becoming the script's status
      writeFileSync(script, `${PRELUDE}${withBackgroundServers(block)}\n:\n`);
      const run = Bun.spawnSync(["bash", script], { cwd, env, stdout: "pipe", stderr: "pipe", timeout: BLOCK_TIMEOUT_MS });
      if (run.exitCode !== 0) {
        failures.push(`${relPath} block ${i + 1} exited ${run.exitCode ?? `on ${run.signalCode}`}:\n${block}\nstderr: ${run.stderr.toString().slice(-2000)}`);
        break;
      }
    }
  } finally {
    const pids = join(state, "serve.pids");
    if (existsSync(pids)) {
      for (const pid of readFileSync(pids, "utf8").split("\n").filter(Boolean)) {
        try {
          process.kill(Number(pid), "SIGTERM");
        } catch {
          // already gone
        }
      }
    }
  }
  return { cwd, failures };
}

test("README: every bash block runs as written, in order, with an empty HOME", () => {
  const { cwd, failures } = runDoc("README.md");
  expect(failures).toEqual([]);
  expect(readFileSync(join(cwd, "seen.json"), "utf8")).toContain("deploy finished");
  expect(readFileSync(join(cwd, "last100.jsonl"), "utf8").trim().split("\n")).toHaveLength(100);
  expect(readFileSync(join(cwd, "receipts.jsonl"), "utf8").trim().split("\n")).toHaveLength(1000);
}, DOC_TIMEOUT_MS);

test("cookbook: every recipe runs as written, in order, with an empty HOME", () => {
  const { failures } = runDoc("docs/cookbook.md");
  expect(failures).toEqual([]);
}, DOC_TIMEOUT_MS);
