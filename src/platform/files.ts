// Files and shared mappings for pools: open, create, map, lock, sync, wait/wake, with OS failures turned into
// PlasmiteErrors. Nothing above this module sees a file descriptor's errno or a raw address.
// State: errno names by number (built at the first OS error), isatty answers per descriptor, and one scratch
// array file identities are read into.
import { PlasmiteError } from "../errors.ts";
import { errnoError, errnoText } from "./errno.ts";
import { ffi } from "./ffi.ts";
import { sys } from "./native.ts";

/** One open pool file and its MAP_SHARED mapping; `bytes` views the whole file. */
export interface MappedFile {
  readonly path: string;
  readonly fd: number;
  readonly size: number;
  readonly writable: boolean;
  readonly bytes: Uint8Array;
  /** @internal mapping address, for msync, futex and prefetch only */
  readonly addr: number;
}

/** Turns a -errno result into the PlasmiteError a user should see (kind, words and hint from errno.ts). */
export function osError(what: string, path: string, negErrno: number): PlasmiteError {
  const e = -negErrno;
  const name = errnoName(e);
  return errnoError(name, what, path, errnoText(name, `errno ${e}`));
}

let errnoNames: Map<number, string> | null = null;

/** The name of an errno number on this OS ("EACCES"), from the constants the binding knows. */
function errnoName(e: number): string | undefined {
  if (!errnoNames) {
    errnoNames = new Map();
    for (const [name, value] of Object.entries(sys().c)) if (name.startsWith("E")) errnoNames.set(value, name);
  }
  return errnoNames.get(e);
}

function check(r: number, what: string, path: string): number {
  if (r < 0) throw osError(what, path, r);
  return r;
}

/** Opens an existing file read-write, or read-only when the caller may not write it. */
export function openExisting(path: string, preferWritable = true): { fd: number; writable: boolean } {
  const s = sys();
  if (preferWritable) {
    const fd = s.open(path, s.c.O_RDWR, 0);
    if (fd >= 0) return { fd, writable: true };
    if (fd !== -s.c.EACCES && fd !== -s.c.EROFS && fd !== -s.c.EPERM) throw osError("open", path, fd);
  }
  const fd = check(s.open(path, s.c.O_RDONLY, 0), "open", path);
  return { fd, writable: false };
}

/** Creates a new file of `size` bytes with real blocks reserved; fails with AlreadyExists if it exists. */
export function createExclusive(path: string, size: number, mode = 0o644): number {
  const s = sys();
  const fd = check(s.open(path, s.c.O_RDWR | s.c.O_CREAT | s.c.O_EXCL, mode), "create", path);
  const r = s.allocate(fd, size);
  if (r < 0) {
    s.close(fd);
    throw osError("allocate", path, r);
  }
  return fd;
}

/** True when what is written to `fd` can no longer be read by anyone (e.g. stdout piped into `head -1`, which exited). */
export function outputClosed(fd: number): boolean {
  return sys().outputClosed(fd) === 1;
}

const idOut = new BigUint64Array(2);

/** "device:inode" of an open file: equal for every path (link, symlink) that reaches the same file. */
export function fileIdentity(fd: number, path: string): string {
  check(sys().fileId(fd, idOut), "stat", path);
  return `${idOut[0]}:${idOut[1]}`;
}

export function fileSize(fd: number, path: string): number {
  return check(sys().fileSize(fd), "stat", path);
}

/** Maps `size` bytes of `fd` shared. The mapping must never outlive a shrink of the file (SIGBUS). */
export function mapFile(path: string, fd: number, size: number, writable: boolean): MappedFile {
  const addr = check(sys().mmap(fd, size, writable), "mmap", path);
  const buffer = ffi().toArrayBuffer(addr, 0, size);
  return { path, fd, size, writable, bytes: new Uint8Array(buffer), addr };
}

export function unmapAndClose(file: MappedFile): void {
  sys().munmap(file.addr, file.size);
  sys().close(file.fd);
}

export function closeFd(fd: number): void {
  sys().close(fd);
}

/** Blocks until this process holds the exclusive lock (flock belongs to the open file, so callers cache one fd). */
export function lockExclusive(file: MappedFile): void {
  check(sys().flock(file.fd, 1, false), "lock", file.path);
}

/** Returns false instead of waiting when another process holds the lock. */
export function tryLockExclusive(file: MappedFile): boolean {
  const r = sys().flock(file.fd, 1, true);
  if (r === -sys().c.EAGAIN) return false;
  check(r, "lock", file.path);
  return true;
}

export function unlock(file: MappedFile): void {
  check(sys().flock(file.fd, 2, false), "unlock", file.path);
}

/** Writes [offset, offset+length) of the mapping to disk before returning. */
export function syncRange(file: MappedFile, offset: number, length: number): void {
  check(sys().msync(file.addr, offset, length), "msync", file.path);
}

/**
 * Asks the CPU to load the mapping's byte ranges [ranges[2i], ranges[2i+1]), i < count / 2, without waiting for
 * them. False where this host has no native prefetch (the caller loads them itself, or goes without).
 */
export function prefetchRanges(file: MappedFile, ranges: Float64Array, count: number): boolean {
  const prefetch = sys().prefetch;
  if (prefetch === undefined) return false;
  prefetch(file.addr, ranges, count);
  return true;
}

export const futexAvailable = (): boolean => sys().hasFutex;

/** Longest a reader sleeps between looks at a pool when no writer will wake it (polling, or a read-only mapping). */
export const WAIT_SLICE_MAX_US = 20_000;

/** Sleeps while the u32 at `offset` equals `expected`, at most `timeoutUs`; returns early on a wake or signal. */
export function futexWait(file: MappedFile, offset: number, expected: number, timeoutUs: number): void {
  sys().futexWait(file.addr, offset, expected, timeoutUs);
}

export function futexWake(file: MappedFile, offset: number): void {
  sys().futexWake(file.addr, offset);
}

/** Which binding this process uses ("shim" or "libc"), for diagnostics. */
export function nativeBackend(): string {
  return sys().backend;
}

const ttyCache = new Map<number, boolean>();

/** Whether fd 0/1/2 is a terminal (asked once per descriptor, without creating Node's stream objects). */
export function isTerminal(fd: number): boolean {
  let v = ttyCache.get(fd);
  if (v === undefined) {
    v = sys().isatty(fd) === 1;
    ttyCache.set(fd, v);
  }
  return v;
}
