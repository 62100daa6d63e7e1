// Binds the OS calls a pool needs through Bun's FFI (ffi.ts): the embedded C shim where one is built for this
// host, else libc directly behind the same interface (libc.ts). The only modules (with files.ts) that handle
// raw addresses.
// Every function returns >= 0 on success or -errno; it never throws for an OS failure.
import { ffi, T } from "./ffi.ts";
import { PlasmiteError } from "../errors.ts";
import { hostTarget } from "./target.ts";
import { asPtr, cString, libcName } from "./c-interop.ts";
// The prebuilt shim as a base64 string constant: part of the bundle (and the compiled binary),
// loaded through memfd, so neither a noexec $TMPDIR nor node:fs (~1 ms to load) is involved.
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

const SHIM_SYMBOLS = {
  pls_abi_version: { args: [], returns: T.i32 },
  pls_open: { args: [T.ptr, T.i32, T.i32], returns: T.i32 },
  pls_close: { args: [T.i32], returns: T.i32 },
  pls_file_size: { args: [T.i32], returns: T.i64_fast },
  pls_allocate: { args: [T.i32, T.i64], returns: T.i32 },
  pls_mmap: { args: [T.i32, T.i64, T.i32], returns: T.i64_fast },
  pls_munmap: { args: [T.ptr, T.i64], returns: T.i32 },
  pls_msync: { args: [T.ptr, T.i64, T.i64], returns: T.i32 },
  pls_flock: { args: [T.i32, T.i32, T.i32], returns: T.i32 },
  pls_futex_wait: { args: [T.ptr, T.i64, T.u32, T.i64], returns: T.i32 },
  pls_futex_wake: { args: [T.ptr, T.i64], returns: T.i32 },
  pls_isatty: { args: [T.i32], returns: T.i32 },
  pls_file_id: { args: [T.i32, T.ptr], returns: T.i32 },
  pls_output_closed: { args: [T.i32], returns: T.i32 },
} as const;

const SHIM_ABI_VERSION = 5;
const SHIM_TARGETS = new Set(["linux-x64-gnu"]);

let shimLibrary: unknown = null;

/** The embedded shim, loaded from memory (memfd), so it needs no writable or executable directory. */
function loadShim(c: OsConstants): Sys | null {
  if (!SHIM_TARGETS.has(hostTarget()) || process.env.PLASMITE_NATIVE === "libc") return null;
  let lib;
  try {
    lib = ffi().dlopen(memfdCopy(Uint8Array.fromBase64(shimBase64)), SHIM_SYMBOLS);
  } catch {
    return null;
  }
  // held for the life of the process: nothing may ever unload the library its symbols call into
  shimLibrary = lib;
  const s = lib.symbols;
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
  };
}

/** Copies a library into an anonymous memory file and returns a path dlopen accepts. */
function memfdCopy(bytes: Uint8Array): string {
  const libc = ffi().dlopen(libcName(), {
    memfd_create: { args: [T.ptr, T.u32], returns: T.i32 },
    write: { args: [T.i32, T.ptr, T.u64], returns: T.i64_fast },
  }).symbols;
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
