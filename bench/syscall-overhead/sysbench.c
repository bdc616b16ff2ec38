// bench/syscall-overhead/sysbench.c: the timed workload (syscall loop, fork+exec) and the
// summary of the samples the run script collects. Built with `gcc -static` so the same file
// runs natively, in a chroot and as a container's only binary.
//
//   sysbench exit                       exits at once (the fork+exec target)
//   sysbench work OPTIONS               times the workload, prints "METRIC VALUE" lines
//       --iters N     syscall-loop iterations per batch (default 5000)
//       --batches N   batches per metric; the best and the median are printed (default 20)
//       --forks N     fork+exec+wait per batch (default 10)
//       --stat PATH   file the loop stat()s (default: argv[0])
//       --cpu N       pin to CPU N first (same placement in every setting)
//       --filter none|allow|allow-specallow
//                     install a raw one-instruction SECCOMP_RET_ALLOW filter first (with
//                     no_new_privs), optionally with SECCOMP_FILTER_FLAG_SPEC_ALLOW: the
//                     kernel's fixed cost of "some filter", with no runtime involved
//   sysbench summary                    reads "SETTING METRIC best|med VALUE" lines on stdin,
//                                       prints the tables and the ratios between settings
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/timing.h"

extern char** environ;

// ---------------------------------------------------------------------------------------
// work
// ---------------------------------------------------------------------------------------

enum metric { M_MIX, M_GETPID, M_READ, M_WRITE, M_STAT, M_FORK, M_COUNT };
static const char* const metric_name[M_COUNT] = {"loop_ns", "getpid_ns", "read4k_ns",
                                                 "write4k_ns", "stat_ns", "forkexec_us"};

struct ctx {
  int zero, null;
  const char* stat_path;
  const char* self;
  long iters, forks;
};

static char buf[4096];

// One batch of one metric; returns ns per operation (µs for fork+exec).
static double batch(const struct ctx* c, enum metric m) {
  struct stat st;
  double t0 = now_ns();
  long n = m == M_FORK ? c->forks : c->iters;
  for (long i = 0; i < n; ++i) {
    switch (m) {
      case M_MIX:
        syscall(SYS_getpid);
        if (read(c->zero, buf, sizeof buf) != sizeof buf) die("read /dev/zero");
        if (write(c->null, buf, sizeof buf) != sizeof buf) die("write /dev/null");
        if (stat(c->stat_path, &st) != 0) die("stat");
        break;
      case M_GETPID:
        syscall(SYS_getpid);
        break;
      case M_READ:
        if (read(c->zero, buf, sizeof buf) != sizeof buf) die("read /dev/zero");
        break;
      case M_WRITE:
        if (write(c->null, buf, sizeof buf) != sizeof buf) die("write /dev/null");
        break;
      case M_STAT:
        if (stat(c->stat_path, &st) != 0) die("stat");
        break;
      case M_FORK: {
        pid_t pid = fork();
        if (pid < 0) die("fork");
        if (pid == 0) {
          char* argv[] = {(char*)c->self, "exit", NULL};
          execve(c->self, argv, environ);
          _exit(127);
        }
        int status;
        if (waitpid(pid, &status, 0) != pid) die("waitpid");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
          fprintf(stderr, "sysbench: exec of %s failed (status %d)\n", c->self, status);
          exit(1);
        }
        break;
      }
      default:
        break;
    }
  }
  double per = (now_ns() - t0) / (double)n;
  return m == M_FORK ? per / 1000 : per;
}

static void install_allow_filter(int spec_allow) {
  struct sock_filter insn[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  struct sock_fprog prog = {.len = 1, .filter = insn};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("PR_SET_NO_NEW_PRIVS");
  unsigned flags = spec_allow ? SECCOMP_FILTER_FLAG_SPEC_ALLOW : 0;
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog) != 0) die("seccomp");
}

// What the kernel did to speculative store bypass for this task: seccomp forces SSBD on
// (PR_SPEC_FORCE_DISABLE) when the CPU offers it and the mode is "seccomp"/"prctl".
static const char* ssb_state(void) {
  int r = prctl(PR_GET_SPECULATION_CTRL, PR_SPEC_STORE_BYPASS, 0, 0, 0);
  if (r < 0) return "unknown";
  if (r == PR_SPEC_NOT_AFFECTED) return "not-affected";
  if (!(r & PR_SPEC_PRCTL)) return r & PR_SPEC_DISABLE ? "mitigated-always" : "vulnerable-no-control";
  if (r & PR_SPEC_FORCE_DISABLE) return "ssbd-forced";
  if (r & PR_SPEC_DISABLE) return "ssbd-on";
  return "ssbd-off";
}

static int work(int argc, char** argv) {
  struct ctx c = {.stat_path = argv[0], .self = argv[0], .iters = 5000, .forks = 10};
  int batches = 20, cpu = -1;
  const char* filter = "none";
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--iters")) c.iters = atol(argv[i + 1]);
    else if (!strcmp(argv[i], "--batches")) batches = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--forks")) c.forks = atol(argv[i + 1]);
    else if (!strcmp(argv[i], "--stat")) c.stat_path = argv[i + 1];
    else if (!strcmp(argv[i], "--cpu")) cpu = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--filter")) filter = argv[i + 1];
    else {
      fprintf(stderr, "sysbench: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (batches < 1 || batches > 1000 || c.iters < 1 || c.forks < 1) {
    fprintf(stderr, "sysbench: --batches 1..1000, --iters and --forks >= 1\n");
    return 2;
  }
  if (cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) die("sched_setaffinity");
  }
  if (!strcmp(filter, "allow")) install_allow_filter(0);
  else if (!strcmp(filter, "allow-specallow")) install_allow_filter(1);
  else if (strcmp(filter, "none") != 0) {
    fprintf(stderr, "sysbench: --filter none|allow|allow-specallow\n");
    return 2;
  }
  c.zero = open("/dev/zero", O_RDONLY | O_CLOEXEC);
  c.null = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (c.zero < 0 || c.null < 0) die("open /dev/zero or /dev/null");

  // Warm caches (dentries, page tables, the exec'd binary) before anything is timed.
  for (int m = 0; m < M_COUNT; ++m) batch(&c, (enum metric)m);
  // Batches of the metrics alternate too, so a burst of noise spreads over all of them.
  double v[M_COUNT][1000];
  for (int b = 0; b < batches; ++b)
    for (int m = 0; m < M_COUNT; ++m) v[m][b] = batch(&c, (enum metric)m);
  // Noise on a shared machine only ever adds time, so the best batch is the cleanest
  // estimate; the median batch is printed too.
  for (int m = 0; m < M_COUNT; ++m) {
    double med = median(v[m], batches);  // sorts v[m]
    printf("%s best %.3f\n%s med %.3f\n", metric_name[m], v[m][0], metric_name[m], med);
  }
  printf("seccomp_mode %d\n", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
  printf("no_new_privs %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
  printf("ssb %s\n", ssb_state());
  return 0;
}

// ---------------------------------------------------------------------------------------
// summary
// ---------------------------------------------------------------------------------------

#define MAX_SETTINGS 16
#define MAX_SAMPLES 2048
enum kind { K_BEST, K_MED, K_COUNT };
static const char* const kind_name[K_COUNT] = {"best", "med"};

// One setting's samples: one value per round for each metric and kind of per-process figure.
struct series {
  char setting[64];
  double v[K_COUNT][M_COUNT][MAX_SAMPLES];
  int n[K_COUNT][M_COUNT];
  double med[K_COUNT][M_COUNT], min[K_COUNT][M_COUNT];
};

static struct series S[MAX_SETTINGS];
static int nS;

static struct series* find(const char* name, int create) {
  for (int i = 0; i < nS; ++i)
    if (!strcmp(S[i].setting, name)) return &S[i];
  if (!create || nS == MAX_SETTINGS) return NULL;
  snprintf(S[nS].setting, sizeof S[nS].setting, "%s", name);
  return &S[nS++];
}

static void table(int k) {
  printf("%-28s", "setting");
  for (int m = 0; m < M_COUNT; ++m) printf(" %11s", metric_name[m]);
  printf("  rounds\n");
  for (int i = 0; i < nS; ++i) {
    const struct series* s = &S[i];
    printf("%-28s", s->setting);
    for (int m = 0; m < M_COUNT; ++m) printf(" %11.1f", s->med[k][m]);
    printf("  %d\n", s->n[k][M_MIX]);
    printf("%-28s", "  (min over rounds)");
    for (int m = 0; m < M_COUNT; ++m) printf(" %11.1f", s->min[k][m]);
    printf("\n");
  }
}

static void ratio_line(int k, const char* a, const char* b, int with_targets) {
  struct series *x = find(a, 0), *y = find(b, 0);
  if (!x || !y) return;
  printf("%-27s /%-20s", a, b);
  for (int m = 0; m < M_COUNT; ++m) {
    double r = (x->med[k][m] / y->med[k][m] - 1) * 100;
    double d = x->med[k][m] - y->med[k][m];
    printf(" %+6.1f%%%+6.0f", r, d);
  }
  if (with_targets) {
    double loop = (x->med[k][M_MIX] / y->med[k][M_MIX] - 1) * 100;
    double fork = (x->med[k][M_FORK] / y->med[k][M_FORK] - 1) * 100;
    printf("  loop %s fork %s", loop <= 3 ? "PASS" : "FAIL", fork <= 1 ? "PASS" : "FAIL");
  }
  printf("\n");
}

static void ratios(int k) {
  printf("%-48s", "A / B: (A/B - 1) in %, then A - B in ns (us)");
  for (int m = 0; m < M_COUNT; ++m) printf(" %13s", metric_name[m]);
  printf("\n");
  ratio_line(k, "container-noseccomp", "native", 0);
  ratio_line(k, "container-default", "native", 1);
  ratio_line(k, "container-default", "container-noseccomp", 1);
  ratio_line(k, "container-allow1", "container-noseccomp", 0);
  ratio_line(k, "container-allow1-specallow", "container-noseccomp", 0);
  ratio_line(k, "container-default", "container-allow1", 0);
  ratio_line(k, "native-rawfilter", "native", 0);
  ratio_line(k, "native-rawfilter-specallow", "native", 0);
  ratio_line(k, "native-rawfilter-specallow", "native-rawfilter", 0);
}

static int summary(void) {
  char setting[64], metric[64], kind[16];
  double value;
  char line[256];
  while (fgets(line, sizeof line, stdin)) {
    if (sscanf(line, "%63s %63s %15s %lf", setting, metric, kind, &value) != 4) continue;
    for (int k = 0; k < K_COUNT; ++k)
      for (int m = 0; m < M_COUNT; ++m) {
        if (strcmp(metric, metric_name[m]) != 0 || strcmp(kind, kind_name[k]) != 0) continue;
        struct series* s = find(setting, 1);
        if (s && s->n[k][m] < MAX_SAMPLES) s->v[k][m][s->n[k][m]++] = value;
      }
  }
  for (int i = 0; i < nS; ++i)
    for (int k = 0; k < K_COUNT; ++k)
      for (int m = 0; m < M_COUNT; ++m) {
        struct series* s = &S[i];
        if (!s->n[k][m]) continue;
        s->med[k][m] = median(s->v[k][m], s->n[k][m]);  // sorts, so v[0] is the minimum
        s->min[k][m] = s->v[k][m][0];
      }
  printf("A. best batch of each process, median over rounds (primary: noise only adds time)\n\n");
  table(K_BEST);
  printf("\n");
  ratios(K_BEST);
  printf("\nB. median batch of each process, median over rounds (includes machine noise)\n\n");
  table(K_MED);
  printf("\n");
  ratios(K_MED);
  return 0;
}

int main(int argc, char** argv) {
  if (argc >= 2 && !strcmp(argv[1], "exit")) _exit(0);
  if (argc >= 2 && !strcmp(argv[1], "work")) return work(argc, argv);
  if (argc >= 2 && !strcmp(argv[1], "summary")) return summary();
  fprintf(stderr, "usage: sysbench exit | work [OPTIONS] | summary\n");
  return 2;
}
