// bench/paper/iotenant.c: the database-like tenant of Figure 8. One thread of random 4 KiB
// O_DIRECT writes (queue depth 1, like a database's synchronous page writes) to a region of
// a block device, for a fixed time; prints the writes per second. Static, so it is a
// container's whole rootfs with the device node beside it.
//
//   iotenant DEV OFFSET_MiB SPAN_MiB SECONDS [DELAY_MS]
//   iotenant fill PATH OFFSET_MiB MiB     writes MiB of non-zero data (O_DIRECT on a block
//                                         device): dd's input file, and a prefill of the disk
//
// DELAY_MS (default 0): sleep first, so the bench can set a cgroup file before the timing.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fill(const char* path, long long off, long long mib) {
  struct stat st;
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC;
  if (stat(path, &st) == 0 && S_ISBLK(st.st_mode)) flags |= O_DIRECT;
  int fd = open(path, flags, 0644);
  if (fd < 0) {
    fprintf(stderr, "iotenant: open %s: %s\n", path, strerror(errno));
    return 1;
  }
  uint64_t* buf;
  if (posix_memalign((void**)&buf, 4096, 1 << 20) != 0) return 1;
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (long long m = 0; m < mib; ++m) {
    for (size_t i = 0; i < (1 << 20) / 8; ++i) {
      x ^= x << 13; x ^= x >> 7; x ^= x << 17;
      buf[i] = x | 1;
    }
    if (pwrite(fd, buf, 1 << 20, (off + m) << 20) != 1 << 20) {
      fprintf(stderr, "iotenant: fill: %s\n", strerror(errno));
      return 1;
    }
  }
  return close(fd) == 0 ? 0 : 1;
}

int main(int argc, char** argv) {
  if (argc == 5 && !strcmp(argv[1], "fill")) return fill(argv[2], atoll(argv[3]), atoll(argv[4]));
  if (argc < 5) {
    fprintf(stderr, "usage: iotenant DEV OFFSET_MiB SPAN_MiB SECONDS [DELAY_MS]\n");
    return 2;
  }
  const long long off = atoll(argv[2]) << 20, span = atoll(argv[3]) << 20;
  const double secs = atof(argv[4]);
  if (argc > 5) usleep((useconds_t)atoi(argv[5]) * 1000);
  int fd = open(argv[1], O_WRONLY | O_DIRECT | O_CLOEXEC);
  if (fd < 0) {
    fprintf(stderr, "iotenant: open %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  void* buf;
  if (posix_memalign(&buf, 4096, 4096) != 0) return 1;
  uint64_t x = 88172645463325252ull;  // xorshift: offsets and page contents (never zeros)
  for (int i = 0; i < 512; ++i) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    ((uint64_t*)buf)[i] = x | 1;
  }
  const long long pages = span / 4096;
  long ops = 0;
  double t0 = now_s(), t = t0;
  while (t - t0 < secs) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    ((uint64_t*)buf)[0] = x | 1;
    if (pwrite(fd, buf, 4096, off + (long long)(x % (uint64_t)pages) * 4096) != 4096) {
      fprintf(stderr, "iotenant: pwrite: %s\n", strerror(errno));
      return 1;
    }
    ++ops;
    if ((ops & 15) == 0) t = now_s();
  }
  t = now_s();
  printf("iops %.1f\n", (double)ops / (t - t0));
  return 0;
}
