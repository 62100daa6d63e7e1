// The hidden file a pool is built in before it is linked into place (`.NAME.PID.RANDOM.tmp`, see Pool.create),
// and the ones interrupted creates leave behind (a SIGKILL between allocation and link): named, found, removed.
// A temp is stale when the process that made it is not running on this host and the file has not changed for
// STALE_TEMP_AGE_MS: the age guards a creator in another PID namespace (a container sharing the directory),
// whose PID means nothing here. Never touches anything else in the directory.
import { fs, path as nodePath } from "../platform/lazy-node.ts";

/** How long a temp whose creator is gone must have been unchanged before it counts as stale. */
export const STALE_TEMP_AGE_MS = 60_000;

const TEMP_NAME = /^\.(.+)\.(\d+)\.([0-9a-z]+)\.tmp$/;

/** A fresh temp path beside `poolPath` for this process to build the pool in. */
export function createTempPath(poolPath: string): string {
  const { basename, dirname, join } = nodePath();
  return join(dirname(poolPath), `.${basename(poolPath)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
}

/** A leftover of an interrupted create. */
export interface StaleTemp {
  path: string;
  /** File name of the pool it was being built for. */
  pool: string;
  pid: number;
  sizeBytes: number;
  ageMs: number;
}

/** Stale create temps in `dir` (none when the directory is missing or unreadable). */
export function staleCreateTemps(dir: string, nowMs = Date.now()): StaleTemp[] {
  let names: string[];
  try {
    names = fs().readdirSync(dir);
  } catch {
    return [];
  }
  const found: StaleTemp[] = [];
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m) continue;
    const pid = Number(m[2]);
    const path = nodePath().join(dir, name);
    let stat;
    try {
      stat = fs().lstatSync(path);
    } catch {
      continue; // removed meanwhile
    }
    if (!stat.isFile()) continue;
    const ageMs = nowMs - stat.mtimeMs;
    if (ageMs < STALE_TEMP_AGE_MS || processRunning(pid)) continue;
    found.push({ path, pool: m[1], pid, sizeBytes: stat.size, ageMs });
  }
  return found.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** Removes the stale create temps in `dir`; returns what was removed and what could not be (with why). */
export function removeStaleCreateTemps(dir: string): { removed: StaleTemp[]; failed: Array<StaleTemp & { error: string }> } {
  const removed: StaleTemp[] = [];
  const failed: Array<StaleTemp & { error: string }> = [];
  for (const temp of staleCreateTemps(dir)) {
    try {
      fs().unlinkSync(temp.path);
      removed.push(temp);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") removed.push(temp); // another process removed it first
      else failed.push({ ...temp, error: code ?? String(err) });
    }
  }
  return { removed, failed };
}

/**
 * A stale temp as `pool list` and `doctor --all` report it (JSON); `removed` says whether this run removed it
 * (omitted: only reported). Unless removed, `remove_with` is the shell command that does.
 */
export function staleTempReport(t: StaleTemp, removed?: boolean) {
  return {
    path: t.path,
    pool: t.pool,
    pid: t.pid,
    size_bytes: t.sizeBytes,
    age_s: Math.floor(t.ageMs / 1000),
    ...(removed === undefined ? {} : { removed }),
    ...(removed ? {} : { remove_with: `rm -f -- '${t.path.replace(/'/g, `'\\''`)}'` }),
  };
}

function processRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user
    return (err as NodeJS.ErrnoException).code !== "ESRCH";
  }
}
