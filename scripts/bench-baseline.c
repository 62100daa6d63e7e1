/* Benchmark baseline built and run by scripts/bench-engine.ts in the same run as the TypeScript figures:
 * per message, flock(LOCK_EX) + memcpy of the same payload bytes into a MAP_SHARED mapping + flock(LOCK_UN).
 * usage: bench-baseline PATH MESSAGES PAYLOAD_BYTES BATCH   (BATCH = messages per lock; 1 = per message)
 * prints: nanoseconds per message */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 5) { fprintf(stderr, "usage: %s PATH MESSAGES PAYLOAD_BYTES BATCH\n", argv[0]); return 2; }
  const char *path = argv[1];
  long n = atol(argv[2]), payload = atol(argv[3]), batch = atol(argv[4]);
  size_t size = 64u << 20;
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ftruncate(fd, size) != 0) { perror("open"); return 1; }
  unsigned char *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) { perror("mmap"); return 1; }
  memset(map, 0, size); /* pre-fault, as the pool's pages are after their first lap */
  unsigned char *msg = malloc(payload);
  memset(msg, 'x', payload);
  size_t frame = (payload + 32 + 7) & ~7ul, off = 0;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i += batch) {
    flock(fd, LOCK_EX);
    for (long k = 0; k < batch && i + k < n; k++) {
      if (off + frame > size) off = 0;
      memcpy(map + off + 32, msg, payload);
      *(volatile long *)(map + off) = i + k; /* the header store a real append would do */
      off += frame;
    }
    flock(fd, LOCK_UN);
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / (double)n);
  unlink(path);
  return 0;
}
