// The pool's writer lock (flock on the pool file) taken with a deadline: a stopped, hung or foreign holder makes a
// writer fail Busy, naming the holder when the OS says who it is, instead of waiting forever.
// Invariants: nothing here calls a blocking flock. withWriteLock never blocks the event loop (non-blocking tries
// on timers); lockWithin sleeps the thread between tries and is for synchronous callers only (the CLI).
// State: a FIFO queue per mapped file for asynchronous writers. flock belongs to the open file, which this
// process shares per pool (open-files.ts), so the kernel cannot order or exclude this process's own writers.
import { PlasmiteError } from "../errors.ts";
import { fs } from "../platform/lazy-node.ts";
import { fileIdentity, tryLockExclusive, unlock, type MappedFile } from "../platform/files.ts";

/** How long an append waits for another writer's lock by default. */
export const DEFAULT_LOCK_TIMEOUT_MS = 5000;
/** The longest wait a caller may ask for: a writer's wait is always bounded. */
export const MAX_LOCK_TIMEOUT_MS = 3_600_000;
const FIRST_BACKOFF_MS = 1;
const MAX_BACKOFF_MS = 50;

/** Throws Usage unless `ms` is a whole number of milliseconds within 0..MAX_LOCK_TIMEOUT_MS. */
export function checkLockTimeout(ms: number, what = "lock timeout"): number {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > MAX_LOCK_TIMEOUT_MS) {
    throw new PlasmiteError("Usage", `${what} must be an integer from 0 to ${MAX_LOCK_TIMEOUT_MS} ms, got ${ms}`);
  }
  return ms;
}

/** Takes the writer lock, trying without blocking and sleeping between tries; Busy after `timeoutMs`. */
export function lockWithin(file: MappedFile, timeoutMs: number): void {
  if (tryLockExclusive(file)) return;
  const deadline = performance.now() + timeoutMs;
  let backoffMs = FIRST_BACKOFF_MS;
  for (;;) {
    const leftMs = deadline - performance.now();
    if (leftMs <= 0) throw lockTimedOut(file, timeoutMs);
    Bun.sleepSync(Math.min(backoffMs, leftMs));
    if (tryLockExclusive(file)) return;
    backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
  }
}

const queues = new WeakMap<MappedFile, Promise<void>>();

/**
 * Runs `fn` (synchronous) holding the writer lock, without ever blocking the event loop: calls for one file run
 * in the order they were made, each waiting at most `timeoutMs` (queueing included) before failing Busy.
 */
export async function withWriteLock<T>(file: MappedFile, timeoutMs: number, fn: () => T): Promise<T> {
  const before = queues.get(file);
  // Nobody in this process is waiting for this file: take the lock at once when it is free.
  if (before === undefined && tryLockExclusive(file)) return runLocked(file, fn);
  const deadline = performance.now() + timeoutMs;
  let done!: () => void;
  const mine = new Promise<void>((resolve) => (done = resolve));
  queues.set(file, mine);
  let waitedForBefore = before === undefined;
  try {
    if (before !== undefined) {
      const leftMs = deadline - performance.now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), Math.max(0, leftMs))));
      waitedForBefore = !(await Promise.race([before.then(() => false), timedOut]));
      clearTimeout(timer);
      if (!waitedForBefore) throw lockTimedOut(file, timeoutMs);
    }
    let backoffMs = FIRST_BACKOFF_MS;
    for (;;) {
      // the try and the write happen in one turn of the event loop: nothing of this process runs in between
      if (tryLockExclusive(file)) return runLocked(file, fn);
      const leftMs = deadline - performance.now();
      if (leftMs <= 0) throw lockTimedOut(file, timeoutMs);
      await Bun.sleep(Math.min(backoffMs, leftMs));
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    }
  } finally {
    // whoever queued after this call still waits for the ones before it: the order holds even after a timeout
    if (waitedForBefore) done();
    else before!.then(done);
    if (queues.get(file) === mine) queues.delete(file);
  }
}

function runLocked<T>(file: MappedFile, fn: () => T): T {
  try {
    return fn();
  } finally {
    unlock(file);
  }
}

function lockTimedOut(file: MappedFile, timeoutMs: number): PlasmiteError {
  const holder = describeHolders(file);
  const who = holder ? `held by ${holder}` : "held by another process";
  return new PlasmiteError("Busy", `pool is locked, ${who}; gave up waiting after ${timeoutMs} ms`, {
    path: file.path,
    hint: "A stopped or stuck writer holds the pool's lock: retry later, or end that process. pls waits longer with --lock-timeout MS or PLASMITE_LOCK_TIMEOUT_MS.",
  });
}

/**
 * "pid 123 (name)" for each process holding a flock on `file`, from /proc/locks (Linux; elsewhere null). The
 * kernel lists locks by device (major:minor in hex) and inode, the same file identity fstat gives.
 */
export function describeHolders(file: MappedFile): string | null {
  let table: string;
  let id: string;
  try {
    table = fs().readFileSync("/proc/locks", "utf8");
    id = fileIdentity(file.fd, file.path);
  } catch {
    return null;
  }
  const [dev, ino] = id.split(":").map(BigInt);
  // glibc's major()/minor() of the st_dev encoding
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  const key = `${major.toString(16).padStart(2, "0")}:${minor.toString(16).padStart(2, "0")}:${ino}`;
  const holders: string[] = [];
  for (const line of table.split("\n")) {
    // "1: FLOCK  ADVISORY  WRITE 4242 fe:00:2146930 0 EOF"; waiters' lines have "->" before FLOCK
    const m = /^\d+:\s+FLOCK\s+\S+\s+\S+\s+(-?\d+)\s+(\S+)\s/.exec(line);
    if (!m || m[2] !== key) continue;
    const pid = Number(m[1]);
    if (pid <= 0 || pid === process.pid) continue;
    holders.push(describeProcess(pid));
  }
  return holders.length > 0 ? [...new Set(holders)].join(", ") : null;
}

/** "pid N (comm)", with ", stopped" when the process is stopped (SIGSTOP, a debugger). */
function describeProcess(pid: number): string {
  let name = "";
  let stopped = false;
  try {
    name = fs().readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    const stat = fs().readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    stopped = state === "T" || state === "t";
  } catch {
    // the process is gone or hidden from us: its pid is all there is
  }
  const details = [name, stopped ? "stopped" : ""].filter(Boolean).join(", ");
  return details ? `pid ${pid} (${details})` : `pid ${pid}`;
}
