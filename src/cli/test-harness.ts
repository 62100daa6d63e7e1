// Test-only helpers for running the real CLI as a child process (sync, async, and under a pseudo-terminal).
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const MAIN = join(import.meta.dir, "main.ts");
export const BUN = process.execPath;

export function tempRoot(label: string): string {
  return mkdtempSync(join(tmpdir(), `plasmite-${label}-`));
}

export interface RunResult {
  code: number;
  out: string;
  err: string;
}

/** Runs `pls ARGS` to completion with stdout/stderr piped. */
export function pls(args: string[], opts: { env?: Record<string, string>; stdin?: string | Uint8Array; cwd?: string } = {}): RunResult {
  const r = Bun.spawnSync([BUN, MAIN, ...args], {
    env: { ...process.env, NO_COLOR: "1", ...opts.env },
    stdin: opts.stdin === undefined ? "ignore" : typeof opts.stdin === "string" ? new TextEncoder().encode(opts.stdin) : opts.stdin,
    cwd: opts.cwd,
  });
  return { code: r.exitCode ?? 128, out: r.stdout.toString(), err: r.stderr.toString() };
}

/** Starts `pls ARGS` in the background; read its stdout line by line. */
export function start(args: string[], env: Record<string, string> = {}) {
  const proc = Bun.spawn([BUN, MAIN, ...args], { env: { ...process.env, NO_COLOR: "1", ...env }, stdout: "pipe", stderr: "pipe", stdin: "pipe" });
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  return {
    proc,
    /** Next stdout line, or null at EOF / after `timeoutMs`. */
    async line(timeoutMs = 10_000): Promise<string | null> {
      const deadline = Date.now() + timeoutMs;
      while (!buffer.includes("\n")) {
        const left = deadline - Date.now();
        if (left <= 0) return null;
        const r = await Promise.race([reader.read(), Bun.sleep(left).then(() => null)]);
        if (r === null) return null;
        if (r.done) return buffer ? takeAll() : null;
        buffer += decoder.decode(r.value, { stream: true });
      }
      const i = buffer.indexOf("\n");
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      return line;
    },
    async stderr(): Promise<string> {
      return new Response(proc.stderr).text();
    },
  };
  function takeAll() {
    const b = buffer;
    buffer = "";
    return b;
  }
}

/** Runs `pls ARGS` under a pseudo-terminal (util-linux `script`), returning everything the terminal showed. */
export function plsTty(args: string[], env: Record<string, string> = {}): RunResult {
  const quoted = [BUN, MAIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
  const r = Bun.spawnSync(["script", "-qefc", quoted, "/dev/null"], { env: { ...process.env, TERM: "xterm", ...env } });
  return { code: r.exitCode ?? 128, out: r.stdout.toString().replace(/\r\n/g, "\n"), err: r.stderr.toString() };
}

export function errorOf(r: { err: string }): { kind: string; message: string; hint?: string; path?: string; seq?: number; offset?: number } {
  const line = r.err.trim().split("\n").find((l) => l.startsWith('{"error"'));
  if (!line) throw new Error(`no JSON error on stderr: ${r.err}`);
  return JSON.parse(line).error;
}

export function lines(text: string): unknown[] {
  return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
}

/**
 * Starts a real `pls serve` on 127.0.0.1 (a random port) and waits for its address. `runAs` prefixes the
 * command (e.g. setpriv, to serve as another user); `readyDir` must be writable by that user.
 */
export async function startServe(dir: string, extra: string[] = [], opts: { runAs?: string[]; readyDir?: string; env?: Record<string, string> } = {}) {
  const ready = join(opts.readyDir ?? tmpdir(), `plasmite-ready-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const proc = Bun.spawn([...(opts.runAs ?? []), BUN, MAIN, "--dir", dir, "serve", "--bind", "127.0.0.1:0", ...extra], {
    env: { ...process.env, NO_COLOR: "1", ...opts.env, PLASMITE_SERVE_READY_FILE: ready },
    stdout: "pipe",
    stderr: "pipe",
  });
  const deadline = Date.now() + 15_000;
  while (!existsSync(ready)) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`serve did not start: ${await new Response(proc.stderr).text()}`);
    }
    await Bun.sleep(20);
  }
  const url = readyUrl(ready, extra);
  rmSync(ready, { force: true });
  return { proc, url };
}

/**
 * The base URL of a server from its PLASMITE_SERVE_READY_FILE, which holds the bound `IP:PORT` (as the Rust
 * server writes it): https when its options (`extra`) serve TLS.
 */
export function readyUrl(readyFile: string, extra: readonly string[] = []): string {
  const address = readFileSync(readyFile, "utf8").trim();
  const tls = extra.includes("--tls-cert") || extra.includes("--tls-self-signed");
  return `${tls ? "https" : "http"}://${address.replace(/^0\.0\.0\.0:/, "127.0.0.1:").replace(/^\[::\]:/, "[::1]:")}`;
}

/**
 * Holds an exclusive flock on `path` from another process (util-linux `flock -x -o FILE sleep 30`: the lock is
 * flock's own, so killing or stopping that pid releases or freezes it); resolves once the lock is held.
 */
export async function holdFlock(path: string): Promise<{ pid: number; stop(): void; release(): Promise<void> }> {
  const proc = Bun.spawn(["flock", "-x", "-o", path, "sleep", "30"], { stdout: "ignore", stderr: "ignore" });
  const deadline = Date.now() + 10_000;
  // `flock -n -E 99 FILE true` exits 99 while someone else holds the lock
  while (Bun.spawnSync(["flock", "-n", "-E", "99", path, "true"]).exitCode !== 99) {
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`flock did not take ${path}`);
    await Bun.sleep(10);
  }
  const children = () => Bun.spawnSync(["pkill", "-KILL", "-P", String(proc.pid)]);
  return {
    pid: proc.pid,
    stop: () => proc.kill("SIGSTOP"),
    async release() {
      children();
      proc.kill("SIGKILL");
      await proc.exited;
    },
  };
}
