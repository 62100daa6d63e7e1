// The compiled `pls` binary, copied alone into an empty folder, works with a noexec $TMPDIR:
// the embedded C shim is loaded from memory (memfd), never extracted to disk.
import { afterAll, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const work = mkdtempSync(join(tmpdir(), "plasmite-compiled-"));
const noexec = join(work, "noexec-tmp");
let mounted = false;
afterAll(() => {
  if (mounted) Bun.spawnSync(["umount", noexec]);
  rmSync(work, { recursive: true, force: true });
});

test("compiled binary in an empty folder: poke, get, shim loaded with a noexec TMPDIR", () => {
  const build = Bun.spawnSync([process.execPath, "build", "--compile", join(import.meta.dir, "main.ts"), "--outfile", join(work, "build", "pls")]);
  expect(build.exitCode).toBe(0);
  const empty = join(work, "empty");
  mkdirSync(empty);
  copyFileSync(join(work, "build", "pls"), join(empty, "pls"));
  Bun.spawnSync(["chmod", "+x", join(empty, "pls")]);
  mkdirSync(noexec);
  // A noexec tmpfs needs root; elsewhere TMPDIR still points at an empty private folder.
  mounted = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "noexec,size=4m", "tmpfs", noexec]).exitCode === 0;
  if (mounted) console.log("compiled.test: TMPDIR is a noexec tmpfs");
  else console.log("compiled.test: could not mount a noexec tmpfs (not root); TMPDIR is a private empty folder");
  const env = { PATH: "/usr/bin:/bin", HOME: empty, TMPDIR: noexec, NO_COLOR: "1" };
  const run = (...args: string[]) => Bun.spawnSync([join(empty, "pls"), ...args], { cwd: empty, env });
  const poke = run("--dir", "pools", "poke", "chat", "--create", '{"msg":"from the binary"}');
  expect(poke.stderr.toString()).toBe("");
  expect(poke.exitCode).toBe(0);
  const get = run("--dir", "pools", "get", "chat", "1");
  expect(JSON.parse(get.stdout.toString()).data).toEqual({ msg: "from the binary" });
  const version = JSON.parse(run("version", "--json").stdout.toString());
  expect(version.native).toBe("shim");
  expect(readdirSync(noexec)).toEqual([]); // nothing extracted
}, 60_000);
