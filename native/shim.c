/* plasmite native shim: the only C in the project.
 * Thin wrappers over the system calls a pool needs. Every function returns a
 * value >= 0 on success or -errno on failure, so the TypeScript side never reads
 * errno (which any intervening libc call could clobber). No allocation; the only
 * state is the SIGBUS guard's table of pool mappings (below pls_allocate).
 * Must never call fstat(): it is a versioned symbol since glibc 2.33, and this
 * library has to load on older distributions; lseek gives the size instead, and
 * pls_file_id makes the raw system call. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#endif

#define RET(expr) do { long _r = (long)(expr); return _r < 0 ? -errno : _r; } while (0)

/* ABI version: bumped whenever a signature below changes. */
int32_t pls_abi_version(void) { return 6; }

int32_t pls_open(const char *path, int32_t flags, int32_t mode) {
  int fd;
  do { fd = open(path, flags | O_CLOEXEC, mode); } while (fd < 0 && errno == EINTR);
  return fd < 0 ? -errno : fd;
}

int32_t pls_close(int32_t fd) { RET(close(fd)); }

/* Size of the open file (seek to the end; avoids fstat, see header). */
int64_t pls_file_size(int32_t fd) {
  off_t n = lseek(fd, 0, SEEK_END);
  return n < 0 ? -errno : (int64_t)n;
}

/* Identity of the open file: out[0] = device, out[1] = inode. Two paths (links, symlinks) to one pool give
 * the same identity, which is how a process keeps one descriptor (and one flock) per pool file. */
int32_t pls_file_id(int32_t fd, uint64_t *out) {
  struct stat st;
#ifdef __linux__
  /* the kernel's struct stat is glibc's on x86_64 and on the generic (arm64) layout */
  if (syscall(SYS_fstat, fd, &st) < 0) return -errno;
#else
  if (fstat(fd, &st) < 0) return -errno;
#endif
  out[0] = (uint64_t)st.st_dev;
  out[1] = (uint64_t)st.st_ino;
  return 0;
}

/* Reserve real blocks so a later store through the mapping cannot hit ENOSPC
 * (which the kernel reports as SIGBUS, killing the process). */
int32_t pls_allocate(int32_t fd, int64_t size) {
#ifdef __linux__
  int r;
  do { r = posix_fallocate(fd, 0, (off_t)size); } while (r == EINTR);
  if (r == 0) return 0;
  if (r != EOPNOTSUPP && r != ENOSYS) return -r;
#endif
  RET(ftruncate(fd, (off_t)size));
}

/* SIGBUS guard. Another program may truncate a pool file while it is mapped, and touching a page past the file's
 * new end raises SIGBUS, which kills the process. The TypeScript side checks the file's size before each batch of
 * accesses; this closes the instant between a check and the access. For an address inside a pool mapping the
 * handler puts a private zero page there and lets the access complete (the next size check then reports the pool
 * Corrupt); any other SIGBUS goes to the handler installed before, as if this one did not exist. Installed once,
 * with the first mapping. State: the table of mapped ranges (a start of 0 marks a free slot). */
#define GUARD_SLOTS 1024
static _Atomic uintptr_t guard_start[GUARD_SLOTS];
static _Atomic uintptr_t guard_end[GUARD_SLOTS];
static struct sigaction previous_bus;
static uintptr_t guard_page_bytes;
static atomic_int guard_installed;

static void on_sigbus(int sig, siginfo_t *info, void *ctx) {
  uintptr_t a = (uintptr_t)info->si_addr;
  int saved_errno = errno;
  for (int i = 0; i < GUARD_SLOTS; i++) {
    uintptr_t start = atomic_load(&guard_start[i]);
    if (start == 0 || a < start || a >= atomic_load(&guard_end[i])) continue;
    void *page = (void *)(a & ~(guard_page_bytes - 1));
    void *p = mmap(page, guard_page_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    errno = saved_errno;
    if (p != MAP_FAILED) return;
    break;
  }
  errno = saved_errno;
  if (previous_bus.sa_flags & SA_SIGINFO) previous_bus.sa_sigaction(sig, info, ctx);
  else if (previous_bus.sa_handler != SIG_DFL && previous_bus.sa_handler != SIG_IGN) previous_bus.sa_handler(sig);
  else sigaction(SIGBUS, &previous_bus, NULL); /* returning re-runs the access under the default action */
}

static void guard_install(void) {
  int expected = 0;
  if (!atomic_compare_exchange_strong(&guard_installed, &expected, 1)) return;
  guard_page_bytes = (uintptr_t)sysconf(_SC_PAGESIZE);
  struct sigaction act;
  act.sa_sigaction = on_sigbus;
  act.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&act.sa_mask);
  sigaction(SIGBUS, &act, &previous_bus);
}

static void guard_add(uintptr_t start, uintptr_t len) {
  for (int i = 0; i < GUARD_SLOTS; i++) {
    uintptr_t free_slot = 0;
    if (atomic_load(&guard_start[i]) != 0) continue;
    atomic_store(&guard_end[i], start + len);
    if (atomic_compare_exchange_strong(&guard_start[i], &free_slot, start)) return;
  }
  /* table full: this mapping relies on the size checks alone */
}

static void guard_remove(uintptr_t start) {
  for (int i = 0; i < GUARD_SLOTS; i++) {
    if (atomic_load(&guard_start[i]) != start) continue;
    atomic_store(&guard_start[i], 0);
    return;
  }
}

/* Maps the whole file shared (guarded, see above); returns the address as an integer or -errno. */
int64_t pls_mmap(int32_t fd, int64_t size, int32_t writable) {
  void *p = mmap(NULL, (size_t)size, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return -errno;
  guard_install();
  guard_add((uintptr_t)p, (uintptr_t)size);
  return (int64_t)(intptr_t)p;
}

int32_t pls_munmap(void *addr, int64_t size) {
  guard_remove((uintptr_t)addr);
  RET(munmap(addr, (size_t)size));
}

/* msync of [offset, offset+len) rounded out to whole pages. */
int32_t pls_msync(uint8_t *base, int64_t offset, int64_t len) {
  long page = sysconf(_SC_PAGESIZE);
  int64_t start = offset - (offset % page);
  RET(msync(base + start, (size_t)(offset + len - start), MS_SYNC));
}

/* op: 0 shared, 1 exclusive, 2 unlock; nonblock: return -EWOULDBLOCK instead of waiting. */
int32_t pls_flock(int32_t fd, int32_t op, int32_t nonblock) {
  int how = op == 0 ? LOCK_SH : op == 1 ? LOCK_EX : LOCK_UN;
  if (nonblock) how |= LOCK_NB;
  int r;
  do { r = flock(fd, how); } while (r < 0 && errno == EINTR && !nonblock);
  return r < 0 ? -errno : 0;
}

/* 1 when fd is a terminal, else 0 (so the CLI can ask about fd 0/1/2 without creating Node's stream objects). */
int32_t pls_isatty(int32_t fd) { return isatty(fd) ? 1 : 0; }

/* 1 when nobody can read what is written to fd any more (the read end of a pipe or socket is closed), else 0.
 * Lets a follower with nothing to write notice `| head -1` has exited, as tail -f does. */
int32_t pls_output_closed(int32_t fd) {
  struct pollfd p = { fd, 0, 0 };
  int r = poll(&p, 1, 0);
  if (r < 0) return -errno;
  return (p.revents & (POLLERR | POLLHUP)) ? 1 : 0;
}

/* Waits while the u32 at base+offset equals expected, for at most timeout_us.
 * Returns 0 when woken or the value differed, -ETIMEDOUT, -EINTR, or -ENOSYS off Linux. */
int32_t pls_futex_wait(uint8_t *base, int64_t offset, uint32_t expected, int64_t timeout_us) {
#ifdef __linux__
  struct timespec ts = { (time_t)(timeout_us / 1000000), (long)(timeout_us % 1000000) * 1000 };
  long r = syscall(SYS_futex, (uint32_t *)(base + offset), FUTEX_WAIT, expected, timeout_us >= 0 ? &ts : NULL, NULL, 0);
  if (r < 0) return errno == EAGAIN ? 0 : -errno;
  return 0;
#else
  (void)base; (void)offset; (void)expected; (void)timeout_us;
  return -ENOSYS;
#endif
}

/* Wakes every process waiting on the u32 at base+offset; returns how many woke. */
int32_t pls_futex_wake(uint8_t *base, int64_t offset) {
#ifdef __linux__
  RET(syscall(SYS_futex, (uint32_t *)(base + offset), FUTEX_WAKE, 0x7fffffff, NULL, NULL, 0));
#else
  (void)base; (void)offset;
  return -ENOSYS;
#endif
}

/* Asks the CPU to load every 64-byte line of the mapping's byte ranges [ranges[2i], ranges[2i+1]) for i < count / 2,
 * without waiting for them (prefetch instructions never fault and never block). Pool.getMany issues the loads of
 * its next lookups this way while it works on the current ones: a load from JavaScript holds up everything after
 * it until its line arrives, so those could only overlap with each other, never with the work. At most
 * PREFETCH_MAX_LINES lines per range. Returns the number of lines asked for. */
#define PREFETCH_MAX_LINES 64
int32_t pls_prefetch(const uint8_t *base, const double *ranges, int32_t count) {
  int32_t lines = 0;
  for (int32_t i = 0; i + 1 < count; i += 2) {
    uint64_t at = (uint64_t)ranges[i] & ~(uint64_t)63, end = (uint64_t)ranges[i + 1];
    for (int32_t n = 0; at < end && n < PREFETCH_MAX_LINES; at += 64, n++, lines++) __builtin_prefetch(base + at, 0, 3);
  }
  return lines;
}
