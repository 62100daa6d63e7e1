// Binds the OS calls a pool needs through bun:ffi: the embedded C shim where one is built for this host,
// else libc directly behind the same interface. The only module (with files.ts) that handles raw addresses.
// Every function returns >= 0 on success or -errno; it never throws for an OS failure.
import { dlopen, FFIType as T, ptr, read, type Pointer } from "bun:ffi";
import { hostTarget } from "./target.ts";
// Embedded into `bun build --compile` binaries; under plain `bun` this is the file's real path.
import prebuiltShimPath from "../../native/prebuilt/linux-x64-gnu/libplasmite.so" with { type: "file" };

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
}

const LINUX: OsConstants = {
  O_RDONLY: 0, O_RDWR: 2, O_CREAT: 0o100, O_EXCL: 0o200, O_CLOEXEC: 0o2000000,
  EPERM: 1, ENOENT: 2, EINTR: 4, EAGAIN: 11, EACCES: 13, EEXIST: 17, ENOSPC: 28, EROFS: 30,
  ENOSYS: 38, ETIMEDOUT: 110, EDQUOT: 122,
};

const DARWIN: OsConstants = {
  O_RDONLY: 0, O_RDWR: 2, O_CREAT: 0x200, O_EXCL: 0x800, O_CLOEXEC: 0x1000000,
  EPERM: 1, ENOENT: 2, EINTR: 4, EAGAIN: 35, EACCES: 13, EEXIST: 17, ENOSPC: 28, EROFS: 30,
  ENOSYS: 78, ETIMEDOUT: 60, EDQUOT: 69,
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
} as const;

const SHIM_ABI_VERSION = 3;
const SHIM_TARGETS = new Set(["linux-x64-gnu"]);

function cString(s: string): Buffer {
  return Buffer.from(s + "\0", "utf8");
}

function asPtr(addr: number): Pointer {
  return addr as unknown as Pointer;
}

function libcName(): string {
  if (process.platform === "darwin") return "libSystem.B.dylib";
  const target = hostTarget();
  if (target.endsWith("-musl")) return `libc.musl-${process.arch === "arm64" ? "aarch64" : "x86_64"}.so.1`;
  return "libc.so.6";
}

/** The embedded shim, loaded from memory (memfd) when it lives inside a compiled binary, so a noexec $TMPDIR is fine. */
function loadShim(c: OsConstants): Sys | null {
  if (!SHIM_TARGETS.has(hostTarget()) || process.env.PLASMITE_NATIVE === "libc") return null;
  let lib;
  try {
    const path = prebuiltShimPath.startsWith("/$bunfs/") ? memfdCopy(prebuiltShimPath) : prebuiltShimPath;
    lib = dlopen(path, SHIM_SYMBOLS);
  } catch {
    return null;
  }
  const s = lib.symbols;
  if (s.pls_abi_version() !== SHIM_ABI_VERSION) return null;
  return {
    backend: "shim",
    hasFutex: process.platform === "linux",
    c,
    open: (path, flags, mode) => s.pls_open(cString(path), flags, mode),
    close: (fd) => s.pls_close(fd),
    fileSize: (fd) => Number(s.pls_file_size(fd)),
    allocate: (fd, size) => s.pls_allocate(fd, size),
    mmap: (fd, size, writable) => Number(s.pls_mmap(fd, size, writable ? 1 : 0)),
    munmap: (addr, size) => s.pls_munmap(asPtr(addr), size),
    msync: (addr, offset, length) => s.pls_msync(asPtr(addr), offset, length),
    flock: (fd, op, nonblock) => s.pls_flock(fd, op, nonblock ? 1 : 0),
    futexWait: (addr, offset, expected, timeoutUs) => s.pls_futex_wait(asPtr(addr), offset, expected >>> 0, Math.max(0, Math.floor(timeoutUs))),
    futexWake: (addr, offset) => s.pls_futex_wake(asPtr(addr), offset),
    isatty: (fd) => s.pls_isatty(fd),
  };
}

/** Copies an embedded library into an anonymous memory file and returns a path dlopen accepts. */
function memfdCopy(embeddedPath: string): string {
  const bytes = new Uint8Array(require("node:fs").readFileSync(embeddedPath));
  const libc = dlopen(libcName(), {
    memfd_create: { args: [T.ptr, T.u32], returns: T.i32 },
    write: { args: [T.i32, T.ptr, T.u64], returns: T.i64_fast },
  }).symbols;
  const fd = libc.memfd_create(cString("plasmite-shim"), 1 /* MFD_CLOEXEC */);
  if (fd < 0) throw new Error("memfd_create failed");
  let written = 0;
  while (written < bytes.length) {
    const n = Number(libc.write(fd, ptr(bytes, written), bytes.length - written));
    if (n <= 0) throw new Error("memfd write failed");
    written += n;
  }
  // The fd stays open for the life of the process: dlopen maps from it.
  return `/proc/self/fd/${fd}`;
}

/** Direct libc calls through the same interface: no compiler, no embedded file, any Unix Bun runs on. */
function loadLibc(c: OsConstants): Sys {
  const linux = process.platform === "linux";
  const lib = dlopen(libcName(), {
    open: { args: [T.ptr, T.i32, T.u32], returns: T.i32 },
    close: { args: [T.i32], returns: T.i32 },
    lseek: { args: [T.i32, T.i64, T.i32], returns: T.i64_fast },
    ftruncate: { args: [T.i32, T.i64], returns: T.i32 },
    mmap: { args: [T.ptr, T.u64, T.i32, T.i32, T.i32, T.i64], returns: T.i64_fast },
    munmap: { args: [T.ptr, T.u64], returns: T.i32 },
    msync: { args: [T.ptr, T.u64, T.i32], returns: T.i32 },
    flock: { args: [T.i32, T.i32], returns: T.i32 },
    isatty: { args: [T.i32], returns: T.i32 },
    ...(linux
      ? {
          __errno_location: { args: [], returns: T.ptr },
          posix_fallocate: { args: [T.i32, T.i64, T.i64], returns: T.i32 },
          syscall: { args: [T.i64, T.ptr, T.i32, T.u32, T.ptr, T.ptr, T.i32], returns: T.i64_fast },
        }
      : { __error: { args: [], returns: T.ptr } }),
  } as const);
  const s = lib.symbols as any;
  const errnoAt: () => Pointer = linux ? s.__errno_location : s.__error;
  const errno = () => read.i32(errnoAt(), 0);
  const ret = (r: number | bigint) => {
    const n = Number(r);
    return n < 0 ? -errno() : n;
  };
  const MS_SYNC = linux ? 4 : 0x10;
  const PAGE = 4096 * (process.arch === "arm64" && !linux ? 4 : 1); // darwin-arm64 pages are 16 KiB
  const FUTEX_SYSCALL = process.arch === "arm64" ? 98 : 202;
  const timespec = new BigInt64Array(2);
  return {
    backend: "libc",
    hasFutex: linux,
    c,
    open: (path, flags, mode) => {
      for (;;) {
        const r = ret(s.open(cString(path), flags | c.O_CLOEXEC, mode));
        if (r !== -c.EINTR) return r;
      }
    },
    close: (fd) => ret(s.close(fd)),
    fileSize: (fd) => ret(s.lseek(fd, 0, 2 /* SEEK_END */)),
    allocate: (fd, size) => {
      if (linux) {
        const r = s.posix_fallocate(fd, 0, size); // returns the error number itself, not -1
        if (r === 0) return 0;
        if (r !== 95 /* EOPNOTSUPP */ && r !== c.ENOSYS) return -r;
      }
      return ret(s.ftruncate(fd, size));
    },
    mmap: (fd, size, writable) => {
      const r = s.mmap(null, size, writable ? 3 : 1, 1 /* MAP_SHARED */, fd, 0);
      return r === -1 || typeof r === "bigint" ? -errno() : r;
    },
    munmap: (addr, size) => ret(s.munmap(asPtr(addr), size)),
    msync: (addr, offset, length) => {
      const start = offset - (offset % PAGE);
      return ret(s.msync(asPtr(addr + start), offset + length - start, MS_SYNC));
    },
    flock: (fd, op, nonblock) => {
      const how = (op === 0 ? 1 : op === 1 ? 2 : 8) | (nonblock ? 4 : 0);
      for (;;) {
        const r = ret(s.flock(fd, how));
        if (r !== -c.EINTR || nonblock) return r;
      }
    },
    futexWait: (addr, offset, expected, timeoutUs) => {
      if (!linux) return -c.ENOSYS;
      const us = Math.max(0, Math.floor(timeoutUs));
      timespec[0] = BigInt(Math.floor(us / 1e6));
      timespec[1] = BigInt((us % 1e6) * 1000);
      const r = ret(s.syscall(FUTEX_SYSCALL, asPtr(addr + offset), 0, expected >>> 0, ptr(timespec), null, 0));
      return r === -c.EAGAIN ? 0 : Math.min(r, 0);
    },
    futexWake: (addr, offset) => (linux ? ret(s.syscall(FUTEX_SYSCALL, asPtr(addr + offset), 1, 0x7fffffff, null, null, 0)) : -c.ENOSYS),
    isatty: (fd) => (s.isatty(fd) ? 1 : 0),
  };
}

let loaded: Sys | null = null;

/** The process-wide OS binding, loaded on first use. */
export function sys(): Sys {
  if (loaded) return loaded;
  const c = process.platform === "darwin" ? DARWIN : LINUX;
  loaded = loadShim(c) ?? loadLibc(c);
  return loaded;
}
