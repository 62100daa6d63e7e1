// Binds the OS calls a pool needs through Bun's FFI (ffi.ts): the embedded C shim where one is built for this
// host, else libc directly behind the same interface (libc.ts). The only modules (with files.ts) that handle
// raw addresses.
// Every function returns >= 0 on success or -errno; it never throws for an OS failure.
// State: the process-wide binding (sys()), loaded on first use.
import { bind, native } from "./ffi.ts";
import { PlasmiteError } from "../errors.ts";
import { hostTarget } from "./target.ts";
import { T, asPtr, bufferProblem, cString, cStringProblem, libcName, sizeProblem } from "./c-interop.ts";
// The prebuilt shim as a base64 string constant: part of the bundle (and the compiled binary), loaded through
// memfd, so no file is written: a noexec or read-only $TMPDIR is fine, and node:fs is not needed to load it.
import shimBase64 from "../../native/prebuilt/linux-x64-gnu/libplasmite.ts";

export interface Sys {
  /** "shim" (the embedded C library) or "libc" (direct calls, used where no shim is built). */
  readonly backend: "shim" | "libc";
  readonly hasFutex: boolean;
  readonly c: OsConstants;
  open(path: string, flags: number, mode: number): number;
  close(fd: number): number;
  fileSize(fd: number): number;
  allocate(fd: number, size: number): number;
  mmap(fd: number, size: number, writable: boolean): number;
  munmap(addr: number, size: number): number;
  msync(addr: number, offset: number, length: number): number;
  /** op: 0 shared, 1 exclusive, 2 unlock. */
  flock(fd: number, op: 0 | 1 | 2, nonblock: boolean): number;
  /** 0 when woken (or the word already differed), -ETIMEDOUT, -EINTR, -ENOSYS. */
  futexWait(addr: number, offset: number, expected: number, timeoutUs: number): number;
  futexWake(addr: number, offset: number): number;
  /** 1 when the file descriptor is a terminal. */
  isatty(fd: number): number;
  /** 1 when the reader of this pipe or socket has gone away (writes would fail), 0 otherwise. */
  outputClosed(fd: number): number;
  /** Writes the open file's device and inode into out[0], out[1]; 0 or -errno. */
  fileId(fd: number, out: BigUint64Array): number;
  /**
   * Prefetches the lines of byte ranges [ranges[2i], ranges[2i+1]) of the mapping at `addr`, i < count / 2, without
   * waiting for them; returns how many lines. Absent where no shim is built (plain loads from JavaScript instead).
   */
  prefetch?: (addr: number, ranges: Float64Array, count: number) => number;
}

export interface OsConstants {
  O_RDONLY: number;
  O_RDWR: number;
  O_CREAT: number;
  O_EXCL: number;
  O_CLOEXEC: number;
  EPERM: number;
  ENOENT: number;
  EINTR: number;
  EAGAIN: number;
  EACCES: number;
  EEXIST: number;
  ENOSPC: number;
  EROFS: number;
  ENOSYS: number;
  ETIMEDOUT: number;
  EDQUOT: number;
  ENOTDIR: number;
  EISDIR: number;
  EMFILE: number;
  ENAMETOOLONG: number;
  ELOOP: number;
}

const LINUX: OsConstants = {
  O_RDONLY: 0, O_RDWR: 2, O_CREAT: 0o100, O_EXCL: 0o200, O_CLOEXEC: 0o2000000,
  EPERM: 1, ENOENT: 2, EINTR: 4, EAGAIN: 11, EACCES: 13, EEXIST: 17, ENOSPC: 28, EROFS: 30,
  ENOSYS: 38, ETIMEDOUT: 110, EDQUOT: 122, ENOTDIR: 20, EISDIR: 21, EMFILE: 24, ENAMETOOLONG: 36, ELOOP: 40,
};

const DARWIN: OsConstants = {
  O_RDONLY: 0, O_RDWR: 2, O_CREAT: 0x200, O_EXCL: 0x800, O_CLOEXEC: 0x1000000,
  EPERM: 1, ENOENT: 2, EINTR: 4, EAGAIN: 35, EACCES: 13, EEXIST: 17, ENOSPC: 28, EROFS: 30,
  ENOSYS: 78, ETIMEDOUT: 60, EDQUOT: 69, ENOTDIR: 20, EISDIR: 21, EMFILE: 24, ENAMETOOLONG: 63, ELOOP: 62,
};

/** A futex word's offset: a whole number of 4-byte words. */
const wordOffsetProblem = (offset: number | bigint) => (Number(offset) >= 0 && Number(offset) % 4 === 0 ? null : `the futex word's offset must be a non-negative multiple of 4, got ${offset}`);
const flagProblem = (v: number, what: string) => (v === 0 || v === 1 ? null : `${what} must be 0 or 1, got ${v}`);

/** The shim's functions (native/shim.c), as declared there. */
const SHIM_SYMBOLS = {
  pls_abi_version: native([], T.i32),
  pls_open: native([T.ptr, T.i32, T.i32], T.i32, (path) => cStringProblem(path, "path")),
  pls_close: native([T.i32], T.i32),
  pls_file_size: native([T.i32], T.i64_fast),
  pls_allocate: native([T.i32, T.i64], T.i32, (_fd, size) => sizeProblem(size, 0, "size")),
  pls_mmap: native([T.i32, T.i64, T.i32], T.i64_fast, (_fd, size, writable) => sizeProblem(size, 1, "size") ?? flagProblem(writable, "writable")),
  pls_munmap: native([T.ptr, T.i64], T.i32, (_addr, size) => sizeProblem(size, 1, "size")),
  pls_msync: native([T.ptr, T.i64, T.i64], T.i32, (_addr, offset, length) => sizeProblem(offset, 0, "offset") ?? sizeProblem(length, 0, "length")),
  pls_flock: native([T.i32, T.i32, T.i32], T.i32, (_fd, op, nonblock) => (op >= 0 && op <= 2 ? flagProblem(nonblock, "nonblock") : `op must be 0 (shared), 1 (exclusive) or 2 (unlock), got ${op}`)),
  pls_futex_wait: native([T.ptr, T.i64, T.u32, T.i64], T.i32, (_addr, offset, _expected, timeoutUs) => wordOffsetProblem(offset) ?? sizeProblem(timeoutUs, 0, "the timeout")),
  pls_futex_wake: native([T.ptr, T.i64], T.i32, (_addr, offset) => wordOffsetProblem(offset)),
  pls_isatty: native([T.i32], T.i32),
  pls_file_id: native([T.i32, T.ptr], T.i32, (_fd, out) => (out instanceof BigUint64Array ? bufferProblem(out, 16, "out") : "out must be a BigUint64Array (device, inode)")),
  pls_output_closed: native([T.i32], T.i32),
  pls_prefetch: native([T.ptr, T.ptr, T.i32], T.i32, (_addr, ranges, count) => (ranges instanceof Float64Array ? bufferProblem(ranges, count * 8, "ranges") : "ranges must be a Float64Array")),
};

const SHIM_ABI_VERSION = 6;
const SHIM_TARGETS = new Set(["linux-x64-gnu"]);

/** The embedded shim, loaded from memory (memfd), so it needs no writable or executable directory. */
function loadShim(c: OsConstants): Sys | null {
  if (!SHIM_TARGETS.has(hostTarget()) || process.env.PLASMITE_NATIVE === "libc") return null;
  let s;
  try {
    s = bind(memfdCopy(Uint8Array.fromBase64(shimBase64)), SHIM_SYMBOLS);
  } catch {
    return null;
  }
  if (s.pls_abi_version() !== SHIM_ABI_VERSION) return null;
  // `| 0` on every i32/u32 argument: native symbols read an int32 only from an int32-encoded value (ffi.ts)
  return {
    backend: "shim",
    hasFutex: process.platform === "linux",
    c,
    open: (path, flags, mode) => s.pls_open(cString(path), flags | 0, mode | 0),
    close: (fd) => s.pls_close(fd | 0),
    fileSize: (fd) => Number(s.pls_file_size(fd | 0)),
    allocate: (fd, size) => s.pls_allocate(fd | 0, size),
    mmap: (fd, size, writable) => Number(s.pls_mmap(fd | 0, size, writable ? 1 : 0)),
    munmap: (addr, size) => s.pls_munmap(asPtr(addr), size),
    msync: (addr, offset, length) => s.pls_msync(asPtr(addr), offset, length),
    flock: (fd, op, nonblock) => s.pls_flock(fd | 0, op | 0, nonblock ? 1 : 0),
    futexWait: (addr, offset, expected, timeoutUs) => s.pls_futex_wait(asPtr(addr), offset, expected | 0, Math.max(0, Math.floor(timeoutUs))),
    futexWake: (addr, offset) => s.pls_futex_wake(asPtr(addr), offset),
    isatty: (fd) => s.pls_isatty(fd | 0),
    fileId: (fd, out) => s.pls_file_id(fd | 0, out),
    outputClosed: (fd) => s.pls_output_closed(fd | 0),
    prefetch: (addr, ranges, count) => s.pls_prefetch(asPtr(addr), ranges, count | 0),
  };
}

/** Copies a library into an anonymous memory file and returns a path dlopen accepts. */
function memfdCopy(bytes: Uint8Array): string {
  const libc = bind(libcName(), {
    memfd_create: native([T.ptr, T.u32], T.i32, (name) => cStringProblem(name, "name")),
    write: native([T.i32, T.ptr, T.u64], T.i64_fast, (_fd, buf, count) => bufferProblem(buf, count, "the buffer")),
  });
  const fd = libc.memfd_create(cString("plasmite-shim"), 1 /* MFD_CLOEXEC */);
  if (fd < 0) throw new Error("memfd_create failed");
  let written = 0;
  while (written < bytes.length) {
    const n = Number(libc.write(fd, bytes.subarray(written), bytes.length - written));
    if (n <= 0) throw new Error("memfd write failed");
    written += n;
  }
  // The fd stays open for the life of the process: dlopen maps from it.
  return `/proc/self/fd/${fd}`;
}

let loaded: Sys | null = null;

/** The process-wide OS binding, loaded on first use. */
export function sys(): Sys {
  if (loaded) return loaded;
  if (process.platform !== "linux" && process.platform !== "darwin") {
    // say so plainly instead of failing to find a libc: pools need mmap, flock and (on Linux) futex
    throw new PlasmiteError("Internal", `plasmite runs on Linux and macOS; this is ${process.platform}`, {
      hint: process.platform === "win32" ? "Use WSL (Windows Subsystem for Linux)." : "Pools need POSIX mmap and flock.",
    });
  }
  const c = process.platform === "darwin" ? DARWIN : LINUX;
  // the libc binding is a chunk of its own, loaded only where no shim is built (or PLASMITE_NATIVE=libc)
  loaded = loadShim(c) ?? (require("./libc.ts") as typeof import("./libc.ts")).loadLibc(c);
  return loaded;
}
