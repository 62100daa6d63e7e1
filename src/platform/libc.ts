// The OS calls of src/platform/native.ts made directly on libc through Bun's FFI (ffi.ts: `| 0` on every
// i32/u32 argument), for platforms without a prebuilt shim: no compiler, no embedded file, any Unix Bun runs on.
// Same contract: >= 0 or -errno.
import { addressesOf, bind, ffi, native } from "./ffi.ts";
import { T, asPtr, bufferProblem, cString, cStringProblem, libcName, sizeProblem } from "./c-interop.ts";
import type { OsConstants, Sys } from "./native.ts";
import type { WatchStart } from "./futex-worker.ts";

/** An address a page boundary (msync refuses any other): mmap's results and offsets rounded down to a page. */
const pageAlignedProblem = (addr: unknown, page: number) => (typeof addr !== "number" || addr % page === 0 ? null : `the address must be page-aligned (${page} bytes), got ${addr}`);

/** The libc functions both OSes have. */
const COMMON = {
  open: native([T.ptr, T.i32, T.u32], T.i32, (path) => cStringProblem(path, "path")),
  close: native([T.i32], T.i32),
  lseek: native([T.i32, T.i64, T.i32], T.i64_fast, (_fd, _offset, whence) => (whence >= 0 && whence <= 2 ? null : `whence must be 0, 1 or 2, got ${whence}`)),
  ftruncate: native([T.i32, T.i64], T.i32, (_fd, size) => sizeProblem(size, 0, "size")),
  mmap: native([T.ptr, T.u64, T.i32, T.i32, T.i32, T.i64], T.i64_fast, (_addr, size) => sizeProblem(size, 1, "size")),
  munmap: native([T.ptr, T.u64], T.i32, (_addr, size) => sizeProblem(size, 1, "size")),
  msync: native([T.ptr, T.u64, T.i32], T.i32, (addr) => pageAlignedProblem(addr, 4096)),
  flock: native([T.i32, T.i32], T.i32),
  isatty: native([T.i32], T.i32),
  // struct pollfd is 8 bytes
  poll: native([T.ptr, T.u64, T.i32], T.i32, (fds, nfds) => bufferProblem(fds, Number(nfds) * 8, "fds")),
};

/** Linux only: errno's address, fallocate, and futex through syscall. */
const LINUX_ONLY = {
  __errno_location: native([], T.ptr),
  posix_fallocate: native([T.i32, T.i64, T.i64], T.i32, (_fd, offset, length) => sizeProblem(offset, 0, "offset") ?? sizeProblem(length, 1, "length")),
  // syscall(SYS_futex, uaddr, op, val, timeout, uaddr2, val3): the only syscall made
  syscall: native([T.i64, T.ptr, T.i32, T.u32, T.ptr, T.ptr, T.i32], T.i64_fast, (_nr, uaddr, _op, _val, timeout) =>
    typeof uaddr === "number" && uaddr % 4 !== 0
      ? `the futex word's address must be a multiple of 4, got ${uaddr}`
      : timeout === null || timeout instanceof BigInt64Array
        ? timeout && bufferProblem(timeout, 16, "timeout")
        : "timeout must be null or a BigInt64Array timespec (seconds, nanoseconds)",
  ),
};

/** macOS only: errno's address. */
const DARWIN_ONLY = { __error: native([], T.ptr) };

/** The futex call's number in syscall(2): x64 and arm64 differ. */
const FUTEX_SYSCALL = process.arch === "arm64" ? 98 : 202;

/** The libc functions the futex watcher's worker links by address (futex-worker.ts): lseek, and syscall on Linux. */
export function watcherCalls(): Pick<WatchStart, "lseek" | "futex"> {
  const { lseek } = addressesOf(libcName(), { lseek: COMMON.lseek });
  if (process.platform !== "linux") return { lseek, futex: null };
  const { syscall } = addressesOf(libcName(), { syscall: LINUX_ONLY.syscall });
  return { lseek, futex: { ...syscall, nr: FUTEX_SYSCALL } };
}

/** Direct libc calls through the same interface: no compiler, no embedded file, any Unix Bun runs on. */
export function loadLibc(c: OsConstants): Sys {
  const linux = process.platform === "linux";
  const s = bind(libcName(), COMMON);
  const l = linux ? bind(libcName(), LINUX_ONLY) : null;
  const errnoAt = l ? l.__errno_location : bind(libcName(), DARWIN_ONLY).__error;
  const errno = () => ffi().readI32(errnoAt() as number, 0);
  const ret = (r: number | bigint) => {
    const n = Number(r);
    return n < 0 ? -errno() : n;
  };
  const MS_SYNC = linux ? 4 : 0x10;
  const PAGE = 4096 * (process.arch === "arm64" && !linux ? 4 : 1); // darwin-arm64 pages are 16 KiB
  const timespec = new BigInt64Array(2);
  const pollfd = new Int32Array(2);
  return {
    backend: "libc",
    hasFutex: linux,
    c,
    open: (path, flags, mode) => {
      for (;;) {
        const r = ret(s.open(cString(path), flags | c.O_CLOEXEC, mode | 0));
        if (r !== -c.EINTR) return r;
      }
    },
    close: (fd) => ret(s.close(fd | 0)),
    fileSize: (fd) => ret(s.lseek(fd | 0, 0, 2 /* SEEK_END */)),
    allocate: (fd, size) => {
      if (linux) {
        const r = l!.posix_fallocate(fd | 0, 0, size); // returns the error number itself, not -1
        if (r === 0) return 0;
        if (r !== 95 /* EOPNOTSUPP */ && r !== c.ENOSYS) return -r;
      }
      return ret(s.ftruncate(fd | 0, size));
    },
    mmap: (fd, size, writable) => {
      const r = s.mmap(null, size, writable ? 3 : 1, 1 /* MAP_SHARED */, fd | 0, 0);
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
        const r = ret(s.flock(fd | 0, how | 0));
        if (r !== -c.EINTR || nonblock) return r;
      }
    },
    futexWait: (addr, offset, expected, timeoutUs) => {
      if (!linux) return -c.ENOSYS;
      const us = Math.max(0, Math.floor(timeoutUs));
      timespec[0] = BigInt(Math.floor(us / 1e6));
      timespec[1] = BigInt((us % 1e6) * 1000);
      const r = ret(l!.syscall(FUTEX_SYSCALL, asPtr(addr + offset), 0, expected | 0, timespec, null, 0));
      return r === -c.EAGAIN ? 0 : Math.min(r, 0);
    },
    futexWake: (addr, offset) => (l ? ret(l.syscall(FUTEX_SYSCALL, asPtr(addr + offset), 1, 0x7fffffff, null, null, 0)) : -c.ENOSYS),
    isatty: (fd) => (s.isatty(fd | 0) ? 1 : 0),
    outputClosed: (fd) => {
      // struct pollfd { int fd; short events; short revents; } on Linux and macOS; POLLERR 8, POLLHUP 16 on both
      pollfd[0] = fd | 0;
      pollfd[1] = 0;
      const r = ret(s.poll(pollfd, 1, 0));
      if (r < 0) return r;
      return (pollfd[1] >>> 16) & (8 | 16) ? 1 : 0;
    },
    fileId: (fd, out) => {
      try {
        // fstat is not a stable libc symbol (versioned on glibc >= 2.33, a macro before): Node's binding does it
        const st = require("node:fs").fstatSync(fd, { bigint: true });
        out[0] = st.dev;
        out[1] = st.ino;
        return 0;
      } catch (err) {
        return -((err as { errno?: number }).errno ? Math.abs((err as { errno: number }).errno) : c.ENOENT);
      }
    },
  };
}
