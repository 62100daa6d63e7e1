// The compiled `pls` binary, alone in an empty folder with nothing on PATH, passes the same stdio scenario as the
// source (test-harness.ts): the MCP SDK is bundled into it, in a chunk that only `pls mcp` and /mcp load.
import { afterAll, beforeAll } from "bun:test";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBinary } from "../../scripts/build.ts";
import { stdioSuite, type Launcher } from "./test-harness.ts";

const work = mkdtempSync(join(tmpdir(), "plasmite-mcp-compiled-"));
const empty = join(work, "empty");
const pls = join(empty, "pls");
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(() => {
  // the bytecode layout profile is recorded once per test process (compiled.test.ts may have done it already)
  buildBinary(join(work, "build", "pls"));
  mkdirSync(empty);
  copyFileSync(join(work, "build", "pls"), pls);
  chmodSync(pls, 0o755);
  mkdirSync(join(empty, "tmp"));
}, 300_000);

let n = 0;
const freshDir = () => {
  const d = join(empty, `pools-${++n}`);
  mkdirSync(d);
  return d;
};
const launcher = (): Launcher => ({ command: pls, prefix: [], cwd: empty, env: { PATH: join(empty, "no-such-dir"), HOME: empty, TMPDIR: join(empty, "tmp"), NO_COLOR: "1" } });

stdioSuite("compiled binary", launcher, freshDir);
