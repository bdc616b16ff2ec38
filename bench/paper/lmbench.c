// bench/paper/lmbench.c: an lmbench-style set of OS micro-benchmarks for the paper's
// Table 2 (native vs container). Debian ships no lmbench; these are small timers written
// for this bench, built with `gcc -static` so the same binary is a container's whole rootfs
// and runs natively in a chroot of that rootfs.
//
//   lmbench exit                 exits at once (the fork+exec target)
//   lmbench work OPTIONS         times every metric, prints "METRIC best|med VALUE" lines
//       --batches N   batches per metric (default 10); best and median batch are printed
//       --scale F     multiply every per-batch operation count (default 1)
//       --cpu N       pin to CPU N (with every child process)
//       --cpu2 N      the partner process of the pipe/socket latency and bandwidth tests goes
//                     to CPU N instead (-2: the next CPU; default: --cpu's). On a shared
//                     machine cross-CPU wake-ups are mostly noise from the other CPU's load.
//       --dir PATH    writable directory for the file create/delete test (default /scratch)
//   lmbench summary NAME...      reads "SETTING METRIC best|med VALUE" lines on stdin and
//                                prints a markdown table: the median over rounds of each
//                                setting's best batch, and NAME/first-setting ratios
//
// "best" is the lowest time (highest bandwidth) of a process's batches: on a shared machine
// noise only adds time, so the best batch is the cleanest estimate.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/timing.h"

extern char** environ;

enum metric {
  M_NULL, M_FORKEXIT, M_FORKEXEC, M_CTXSW, M_PAGEFAULT, M_MMAP, M_FILE,
  M_PIPE_LAT, M_UNIX_LAT, M_PIPE_BW, M_UNIX_BW, M_COUNT
};
static const struct {
  const char* name;  // as printed
  const char* label; // for the markdown table
  int higher_better;
  long ops;          // operations per batch at --scale 1
} M[M_COUNT] = {
    {"null_ns", "null syscall (getppid), ns", 0, 20000},
    {"forkexit_us", "fork+exit+wait, µs", 0, 40},
    {"forkexec_us", "fork+exec+wait, µs", 0, 20},
    {"ctxsw_us", "context switch (2 procs, pipe), µs", 0, 5000},
    {"pagefault_ns", "page fault (anon, write), ns/page", 0, 4096},
    {"mmap_us", "mmap+touch+munmap of a 1 MiB file, µs", 0, 100},
    {"file_us", "file create+delete (0 KiB), µs", 0, 200},
    {"pipe_lat_us", "pipe round trip, µs", 0, 1000},
    {"unix_lat_us", "unix socket round trip, µs", 0, 1000},
    {"pipe_bw_MBps", "pipe bandwidth (64 KiB writes), MB/s", 1, 512},
    {"unix_bw_MBps", "unix socket bandwidth (64 KiB writes), MB/s", 1, 512},
};

struct ctx {
  const char* self;
  const char* dir;
  double scale;
  int cpu, cpu2;
  int mapfd;  // a 1 MiB file for the mmap test
};

static void pin(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) die("sched_setaffinity");
}

static void reap(pid_t pid) {
  int status;
  if (waitpid(pid, &status, 0) != pid) die("waitpid");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "lmbench: child failed (status %d)\n", status);
    exit(1);
  }
}

static void full_write(int fd, const char* b, size_t n) {
  while (n) {
    ssize_t w = write(fd, b, n);
    if (w <= 0) die("write");
    b += w;
    n -= (size_t)w;
  }
}

// Round trips of one byte between this process and a child: over two pipes or over one
// stream socketpair. Returns µs per round trip.
static double ping_pong(long n, int use_socket, int child_cpu) {
  int a[2], b[2];  // a: parent -> child, b: child -> parent
  if (use_socket) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) die("socketpair");
    a[0] = sv[1]; a[1] = sv[0]; b[0] = sv[0]; b[1] = sv[1];
  } else if (pipe2(a, O_CLOEXEC) != 0 || pipe2(b, O_CLOEXEC) != 0) {
    die("pipe");
  }
  const long warm = n / 10 + 1;
  pid_t pid = fork();
  if (pid < 0) die("fork");
  char c = 'x';
  if (pid == 0) {
    pin(child_cpu);
    for (long i = 0; i < warm + n; ++i) {
      if (read(a[0], &c, 1) != 1) _exit(1);
      if (write(b[1], &c, 1) != 1) _exit(1);
    }
    _exit(0);
  }
  for (long i = 0; i < warm; ++i) {
    if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1) die("ping-pong");
  }
  double t0 = now_ns();
  for (long i = 0; i < n; ++i) {
    if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1) die("ping-pong");
  }
  double dt = now_ns() - t0;
  reap(pid);
  if (use_socket) {
    close(a[0]); close(a[1]);
  } else {
    close(a[0]); close(a[1]); close(b[0]); close(b[1]);
  }
  return dt / (double)n / 1000;
}

// A child writes n chunks of 64 KiB; this process reads them all. Returns MB/s (10^6).
static double bandwidth(long n, int use_socket, int child_cpu) {
  static char chunk[65536];
  int fd[2];
  if (use_socket) {
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd) != 0) die("socketpair");
  } else if (pipe2(fd, O_CLOEXEC) != 0) {
    die("pipe");
  }
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    pin(child_cpu);
    close(fd[0]);
    memset(chunk, 'y', sizeof chunk);
    for (long i = 0; i < n; ++i) full_write(fd[1], chunk, sizeof chunk);
    _exit(0);
  }
  close(fd[1]);
  double t0 = 0;
  long long total = 0, want = (long long)n * (long long)sizeof chunk;
  while (total < want) {
    ssize_t r = read(fd[0], chunk, sizeof chunk);
    if (r <= 0) die("read (bandwidth)");
    if (total == 0) t0 = now_ns();  // from the first byte: the child's fork is not timed
    total += r;
  }
  double dt = now_ns() - t0;
  close(fd[0]);
  reap(pid);
  return (double)want / (dt / 1e9) / 1e6;
}

static double batch(const struct ctx* c, enum metric m) {
  long n = (long)((double)M[m].ops * c->scale);
  if (n < 1) n = 1;
  double t0 = now_ns();
  switch (m) {
    case M_NULL:
      for (long i = 0; i < n; ++i) syscall(SYS_getppid);
      return (now_ns() - t0) / (double)n;
    case M_FORKEXIT:
      for (long i = 0; i < n; ++i) {
        pid_t pid = fork();
        if (pid < 0) die("fork");
        if (pid == 0) _exit(0);
        reap(pid);
      }
      return (now_ns() - t0) / (double)n / 1000;
    case M_FORKEXEC:
      for (long i = 0; i < n; ++i) {
        pid_t pid = fork();
        if (pid < 0) die("fork");
        if (pid == 0) {
          char* argv[] = {(char*)c->self, "exit", NULL};
          execve(c->self, argv, environ);
          _exit(127);
        }
        reap(pid);
      }
      return (now_ns() - t0) / (double)n / 1000;
    case M_CTXSW:  // both on one CPU: every round trip is two switches
      return ping_pong(n, 0, c->cpu) / 2;
    case M_PAGEFAULT: {
      size_t len = (size_t)n * 4096;
      char* p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) die("mmap");
      t0 = now_ns();
      for (size_t off = 0; off < len; off += 4096) p[off] = 1;
      double dt = now_ns() - t0;
      munmap(p, len);
      return dt / (double)n;
    }
    case M_MMAP:
      for (long i = 0; i < n; ++i) {
        volatile char* p = mmap(NULL, 1 << 20, PROT_READ, MAP_SHARED, c->mapfd, 0);
        if (p == MAP_FAILED) die("mmap file");
        for (size_t off = 0; off < (1 << 20); off += 4096) (void)p[off];
        munmap((void*)p, 1 << 20);
      }
      return (now_ns() - t0) / (double)n / 1000;
    case M_FILE: {
      char path[512];
      for (long i = 0; i < n; ++i) {
        snprintf(path, sizeof path, "%s/f%ld", c->dir, i);
        int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
        if (fd < 0) die("create");
        close(fd);
      }
      for (long i = 0; i < n; ++i) {
        snprintf(path, sizeof path, "%s/f%ld", c->dir, i);
        if (unlink(path) != 0) die("unlink");
      }
      return (now_ns() - t0) / (double)n / 1000;
    }
    case M_PIPE_LAT: return ping_pong(n, 0, c->cpu2);
    case M_UNIX_LAT: return ping_pong(n, 1, c->cpu2);
    case M_PIPE_BW: return bandwidth(n, 0, c->cpu2);
    case M_UNIX_BW: return bandwidth(n, 1, c->cpu2);
    default: return 0;
  }
}

static int work(int argc, char** argv) {
  struct ctx c = {.self = argv[0], .dir = "/scratch", .scale = 1, .cpu = -1, .cpu2 = -1};
  int batches = 10;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--batches")) batches = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--scale")) c.scale = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--cpu")) c.cpu = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--cpu2")) c.cpu2 = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--dir")) c.dir = argv[i + 1];
    else {
      fprintf(stderr, "lmbench: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (batches < 1 || batches > 1000 || c.scale <= 0) {
    fprintf(stderr, "lmbench: --batches 1..1000, --scale > 0\n");
    return 2;
  }
  if (c.cpu >= 0) {
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    pin(c.cpu);
    if (c.cpu2 == -2) c.cpu2 = ncpu > 1 ? (int)((c.cpu + 1) % ncpu) : c.cpu;
    if (c.cpu2 < 0) c.cpu2 = c.cpu;
  }
  // The file for the mmap test: 1 MiB in the writable directory, in the page cache.
  char map_path[512];
  snprintf(map_path, sizeof map_path, "%s/mapfile", c.dir);
  c.mapfd = open(map_path, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
  if (c.mapfd < 0) die("create mapfile");
  static char mb[1 << 20];
  memset(mb, 'z', sizeof mb);
  full_write(c.mapfd, mb, sizeof mb);
  unlink(map_path);

  for (int m = 0; m < M_COUNT; ++m) batch(&c, (enum metric)m);  // warm up
  double v[M_COUNT][1000];
  for (int b = 0; b < batches; ++b)
    for (int m = 0; m < M_COUNT; ++m) v[m][b] = batch(&c, (enum metric)m);
  for (int m = 0; m < M_COUNT; ++m) {
    double med = median(v[m], batches);  // sorts ascending
    double best = M[m].higher_better ? v[m][batches - 1] : v[m][0];
    printf("%s best %.4f\n%s med %.4f\n", M[m].name, best, M[m].name, med);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------
// summary: markdown
// ---------------------------------------------------------------------------------------

#define MAX_SETTINGS 8
#define MAX_SAMPLES 1024
struct series {
  char name[64];
  double v[M_COUNT][MAX_SAMPLES];
  int n[M_COUNT];
};
static struct series S[MAX_SETTINGS];
static int nS;

static int summary(int argc, char** argv) {
  nS = argc - 2;
  if (nS < 1 || nS > MAX_SETTINGS) {
    fprintf(stderr, "lmbench summary: 1..%d settings, the first is the baseline\n", MAX_SETTINGS);
    return 2;
  }
  for (int i = 0; i < nS; ++i) snprintf(S[i].name, sizeof S[i].name, "%s", argv[i + 2]);
  char line[256], setting[64], metric[64], kind[16];
  double value;
  while (fgets(line, sizeof line, stdin)) {
    if (sscanf(line, "%63s %63s %15s %lf", setting, metric, kind, &value) != 4) continue;
    if (strcmp(kind, "best") != 0) continue;
    for (int i = 0; i < nS; ++i) {
      if (strcmp(S[i].name, setting) != 0) continue;
      for (int m = 0; m < M_COUNT; ++m)
        if (!strcmp(M[m].name, metric) && S[i].n[m] < MAX_SAMPLES) S[i].v[m][S[i].n[m]++] = value;
    }
  }
  printf("| metric |");
  for (int i = 0; i < nS; ++i) printf(" %s |", S[i].name);
  for (int i = 1; i < nS; ++i) printf(" %s / %s |", S[i].name, S[0].name);
  printf("\n| --- |");
  for (int i = 0; i < 2 * nS - 1; ++i) printf(" ---: |");
  printf("\n");
  for (int m = 0; m < M_COUNT; ++m) {
    double med[MAX_SETTINGS];
    printf("| %s |", M[m].label);
    for (int i = 0; i < nS; ++i) {
      med[i] = S[i].n[m] ? median(S[i].v[m], S[i].n[m]) : 0;
      printf(" %.*f |", med[i] >= 100 ? 0 : med[i] >= 10 ? 1 : 2, med[i]);
    }
    for (int i = 1; i < nS; ++i) printf(" %.3f |", med[0] > 0 ? med[i] / med[0] : 0);
    printf("\n");
  }
  printf("\nRounds per setting: ");
  for (int i = 0; i < nS; ++i) printf("%s%s %d", i ? ", " : "", S[i].name, S[i].n[M_NULL]);
  printf(". Each cell: median over rounds of the process's best batch. Ratios > 1 mean the "
         "container is slower for times, faster for bandwidths (MB/s).\n");
  return 0;
}

int main(int argc, char** argv) {
  if (argc >= 2 && !strcmp(argv[1], "exit")) _exit(0);
  if (argc >= 2 && !strcmp(argv[1], "work")) return work(argc, argv);
  if (argc >= 2 && !strcmp(argv[1], "summary")) return summary(argc, argv);
  fprintf(stderr, "usage: lmbench exit | work [OPTIONS] | summary SETTING...\n");
  return 2;
}
