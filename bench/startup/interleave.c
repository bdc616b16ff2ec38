/* bench/startup/interleave.c: the bench's timing driver. Runs scenarios (sequences of commands)
 * interleaved round by round in a shuffled order, times each with CLOCK_MONOTONIC around
 * posix_spawn+waitpid, and prints per-scenario medians/p10/p90 (and per-step medians).
 *
 * Why C and not a bash loop with `date +%s%N`: every `$(date)` is a fork+exec (~1 ms here)
 * that lands inside the measured interval and adds its own jitter; spawning directly from a
 * tiny C program adds only ~0.1 ms of posix_spawn, the same for every runtime.
 *
 * Plan file (whitespace-separated words, no quoting; '#' starts a comment line):
 *   rounds N | warmup N | seed N | timeout SECONDS | stderr FILE | tmpdir DIR | idprefix P
 *   scenario NAME         a scenario run once per round
 *   parallel NAME COUNT   a scenario whose steps run in COUNT concurrent instances per round;
 *                         its time is the wall time until the last instance finishes
 *   cmd ARG...            step: spawn, wait, expect exit 0
 *   waitpid               step: wait until the pid in {pidfile} has exited (pidfd + poll),
 *                         reaping it if it was reparented to us
 * In cmd args, {id} becomes a container id unique per scenario/round/instance and {pidfile}
 * a per-instance pid file path.
 *
 * The driver is a child subreaper, so container inits orphaned when `create` exits are
 * reparented here (and reaped here) instead of escaping to the host's PID 1.
 *
 * CPU: getrusage(RUSAGE_CHILDREN) around each scenario's round gives the user+sys time of
 * every process it spawned and waited for (the runtime, its helpers, the container's
 * processes it reaps), divided by the instances: CPU per run. Kernel work done in kworkers
 * (a network namespace's cleanup, a cgroup's release) is not in it.
 *
 * Output: CSV (scenario,round,ok,total_ns,cpu_ns,step_ns...) to the file named on the
 * command line; summary table on stdout; "SUMMARY name median p10 p90 fails n" and
 * "CPU name median p10 p90" (ms of CPU per run) lines in machine form for the caller.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_SCEN 32
#define MAX_STEPS 8
#define MAX_ARGS 32

struct step {
  int is_wait;
  int argc;
  char *argv[MAX_ARGS];
};

struct scenario {
  char name[64];
  int parallel; /* 0 = sequential, else instance count */
  int nsteps;
  struct step steps[MAX_STEPS];
  /* results: one row per measured round */
  int64_t *total;
  int64_t *cpu; /* user+sys ns per instance */
  int64_t *step_ns[MAX_STEPS];
  int *ok;
  int n;
};

static struct scenario scen[MAX_SCEN];
static int nscen;
static int rounds = 100, warmup = 5, timeout_s = 60;
static unsigned long long seed = 12345;
static const char *errfile = "/dev/null";
static const char *tmpdir = "/tmp";
static const char *idprefix = "vcb";
static volatile sig_atomic_t timed_out;

static void die(const char *msg) {
  perror(msg);
  exit(2);
}

static int64_t children_cpu_ns(void) {
  struct rusage ru;
  getrusage(RUSAGE_CHILDREN, &ru);
  return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
         ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void on_alarm(int sig) {
  (void)sig;
  timed_out = 1;
}

static unsigned long long rng(void) {
  seed ^= seed << 13;
  seed ^= seed >> 7;
  seed ^= seed << 17;
  return seed;
}

static void load_plan(const char *path) {
  FILE *f = fopen(path, "re");
  if (!f) die(path);
  char line[4096];
  struct scenario *cur = NULL;
  while (fgets(line, sizeof line, f)) {
    char *words[MAX_ARGS + 2];
    int nw = 0;
    for (char *tok = strtok(line, " \t\n"); tok && nw < MAX_ARGS + 1; tok = strtok(NULL, " \t\n"))
      words[nw++] = strdup(tok);
    if (nw == 0 || words[0][0] == '#') continue;
    const char *k = words[0];
    if (!strcmp(k, "rounds") && nw == 2) rounds = atoi(words[1]);
    else if (!strcmp(k, "warmup") && nw == 2) warmup = atoi(words[1]);
    else if (!strcmp(k, "seed") && nw == 2) seed = strtoull(words[1], NULL, 10) | 1;
    else if (!strcmp(k, "timeout") && nw == 2) timeout_s = atoi(words[1]);
    else if (!strcmp(k, "stderr") && nw == 2) errfile = words[1];
    else if (!strcmp(k, "tmpdir") && nw == 2) tmpdir = words[1];
    else if (!strcmp(k, "idprefix") && nw == 2) idprefix = words[1];
    else if ((!strcmp(k, "scenario") && nw == 2) || (!strcmp(k, "parallel") && nw == 3)) {
      if (nscen == MAX_SCEN) { fprintf(stderr, "too many scenarios\n"); exit(2); }
      cur = &scen[nscen++];
      snprintf(cur->name, sizeof cur->name, "%s", words[1]);
      cur->parallel = nw == 3 ? atoi(words[2]) : 0;
    } else if (!strcmp(k, "cmd") && nw >= 2 && cur && cur->nsteps < MAX_STEPS) {
      struct step *s = &cur->steps[cur->nsteps++];
      s->argc = nw - 1;
      for (int i = 1; i < nw; i++) s->argv[i - 1] = words[i];
      s->argv[s->argc] = NULL;
    } else if (!strcmp(k, "waitpid") && cur && cur->nsteps < MAX_STEPS) {
      cur->steps[cur->nsteps++].is_wait = 1;
    } else {
      fprintf(stderr, "plan: cannot parse line starting with '%s'\n", k);
      exit(2);
    }
  }
  fclose(f);
  if (nscen == 0) { fprintf(stderr, "plan: no scenario\n"); exit(2); }
}

/* Replace {id} and {pidfile} in one argument. */
static char *subst(const char *arg, const char *id, const char *pidfile) {
  static char out[8][1024];
  static int slot;
  char *o = out[slot++ % 8];
  size_t n = 0;
  for (const char *p = arg; *p && n < 1000;) {
    if (!strncmp(p, "{id}", 4)) { n += snprintf(o + n, 1024 - n, "%s", id); p += 4; }
    else if (!strncmp(p, "{pidfile}", 9)) { n += snprintf(o + n, 1024 - n, "%s", pidfile); p += 9; }
    else o[n++] = *p++;
  }
  o[n] = 0;
  return o;
}

/* Reap any orphans (reparented to us) without blocking. */
static void reap_strays(void) {
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

static int run_cmd(const struct step *s, const char *id, const char *pidfile) {
  char *argv[MAX_ARGS + 1];
  char bufs[MAX_ARGS][1024];
  for (int i = 0; i < s->argc; i++) {
    snprintf(bufs[i], sizeof bufs[i], "%s", subst(s->argv[i], id, pidfile));
    argv[i] = bufs[i];
  }
  argv[s->argc] = NULL;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, errfile, O_WRONLY | O_APPEND | O_CREAT, 0644);
  pid_t pid;
  int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) { errno = rc; perror(argv[0]); return 0; }
  int status;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 0;
    if (timed_out) {
      fprintf(stderr, "timeout: %s %s; killing it\n", argv[0], id);
      kill(pid, SIGKILL);
      timed_out = 0;
    }
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int wait_pidfile(const char *pidfile) {
  FILE *f = fopen(pidfile, "re");
  if (!f) { fprintf(stderr, "waitpid: no pid file %s\n", pidfile); return 0; }
  long pid = 0;
  int got = fscanf(f, "%ld", &pid);
  fclose(f);
  if (got != 1 || pid <= 0) { fprintf(stderr, "waitpid: bad pid file %s\n", pidfile); return 0; }
  int pfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
  if (pfd < 0) return errno == ESRCH; /* already gone and reaped: it has stopped */
  struct pollfd p = {.fd = pfd, .events = POLLIN};
  int ok = 1;
  while (poll(&p, 1, -1) < 0) {
    if (errno != EINTR || timed_out) { ok = 0; break; }
  }
  close(pfd);
  /* If it was reparented to us (we are a subreaper) it is now our zombie: reap it so the
   * runtimes' `delete` sees it gone. ECHILD means someone else reaps it. */
  waitpid((pid_t)pid, NULL, 0);
  return ok;
}

/* Runs all steps of one instance; fills step durations; returns 1 if all succeeded. */
static int run_instance(const struct scenario *sc, int round, int inst, int64_t *step_ns) {
  char id[128], pidfile[512];
  snprintf(id, sizeof id, "%s-%s-%d-%d", idprefix, sc->name, round, inst);
  snprintf(pidfile, sizeof pidfile, "%s/%s.pid", tmpdir, id);
  unlink(pidfile);
  int ok = 1;
  for (int i = 0; i < sc->nsteps; i++) {
    int64_t t0 = now_ns();
    int r = sc->steps[i].is_wait ? wait_pidfile(pidfile) : run_cmd(&sc->steps[i], id, pidfile);
    step_ns[i] = now_ns() - t0;
    if (!r) {
      fprintf(stderr, "FAIL: %s step %d (%s)\n", id, i + 1,
              sc->steps[i].is_wait ? "waitpid" : sc->steps[i].argv[0]);
      ok = 0;
    }
  }
  unlink(pidfile);
  return ok;
}

static int64_t run_parallel(const struct scenario *sc, int round, int *ok) {
  pid_t workers[1024];
  int n = sc->parallel > 1024 ? 1024 : sc->parallel;
  int64_t t0 = now_ns();
  for (int i = 0; i < n; i++) {
    pid_t w = fork();
    if (w < 0) die("fork");
    if (w == 0) {
      int64_t steps[MAX_STEPS];
      _exit(run_instance(sc, round, i, steps) ? 0 : 1);
    }
    workers[i] = w;
  }
  int left = n;
  *ok = 1;
  while (left > 0) {
    int status;
    pid_t p = waitpid(-1, &status, 0);
    if (p < 0) {
      if (errno != EINTR) break;
      if (timed_out) {
        fprintf(stderr, "timeout: %s round %d; killing its workers\n", sc->name, round);
        for (int i = 0; i < n; i++) kill(workers[i], SIGKILL);
        timed_out = 0;
        *ok = 0;
      }
      continue;
    }
    for (int i = 0; i < n; i++)
      if (workers[i] == p) {
        left--;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) *ok = 0;
      }
  }
  int64_t dt = now_ns() - t0;
  reap_strays();
  return dt;
}

/* A short name for a step in the summary: the runtime verb if there is one. */
static const char *step_label(const struct step *s) {
  static const char *verbs[] = {"create", "start", "delete", "run", "kill", "state"};
  if (s->is_wait) return "wait";
  for (int i = 1; i < s->argc; i++)
    for (size_t v = 0; v < sizeof verbs / sizeof *verbs; v++)
      if (!strcmp(s->argv[i], verbs[v])) return verbs[v];
  const char *b = strrchr(s->argv[0], '/');
  return b ? b + 1 : s->argv[0];
}

static int cmp64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Nearest-rank percentile on a sorted copy. */
static double pct(const int64_t *v, int n, double q) {
  if (n == 0) return 0;
  int64_t *c = malloc(sizeof *c * n);
  memcpy(c, v, sizeof *c * n);
  qsort(c, n, sizeof *c, cmp64);
  double pos = q * (n - 1);
  int lo = (int)pos;
  double frac = pos - lo;
  double r = lo + 1 < n ? c[lo] * (1 - frac) + c[lo + 1] * frac : c[lo];
  free(c);
  return r / 1e6;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s PLAN OUT.csv\n", argv[0]);
    return 2;
  }
  load_plan(argv[1]);
  FILE *csv = fopen(argv[2], "we");
  if (!csv) die(argv[2]);
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) die("PR_SET_CHILD_SUBREAPER");
  struct sigaction sa = {.sa_handler = on_alarm};
  sigaction(SIGALRM, &sa, NULL); /* no SA_RESTART: a hung wait returns EINTR */

  for (int s = 0; s < nscen; s++) {
    scen[s].total = calloc(rounds, sizeof(int64_t));
    scen[s].cpu = calloc(rounds, sizeof(int64_t));
    scen[s].ok = calloc(rounds, sizeof(int));
    for (int i = 0; i < MAX_STEPS; i++) scen[s].step_ns[i] = calloc(rounds, sizeof(int64_t));
  }
  fprintf(csv, "scenario,round,ok,total_ns,cpu_ns");
  for (int i = 0; i < MAX_STEPS; i++) fprintf(csv, ",step%d_ns", i + 1);
  fprintf(csv, "\n");

  int order[MAX_SCEN];
  for (int s = 0; s < nscen; s++) order[s] = s;
  int total_rounds = warmup + rounds;
  for (int r = 0; r < total_rounds; r++) {
    /* Fisher-Yates: no runtime always follows the same neighbour. */
    for (int i = nscen - 1; i > 0; i--) {
      int j = (int)(rng() % (unsigned long long)(i + 1));
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    for (int k = 0; k < nscen; k++) {
      struct scenario *sc = &scen[order[k]];
      int64_t steps[MAX_STEPS] = {0};
      int ok;
      int64_t total;
      alarm((unsigned)timeout_s);
      int64_t cpu0 = children_cpu_ns();
      if (sc->parallel) {
        total = run_parallel(sc, r, &ok);
      } else {
        int64_t t0 = now_ns();
        ok = run_instance(sc, r, 0, steps);
        total = now_ns() - t0;
        reap_strays();
      }
      alarm(0);
      int64_t cpu = (children_cpu_ns() - cpu0) / (sc->parallel ? sc->parallel : 1);
      if (r < warmup) continue;
      int m = sc->n++;
      sc->total[m] = total;
      sc->cpu[m] = cpu;
      sc->ok[m] = ok;
      fprintf(csv, "%s,%d,%d,%lld,%lld", sc->name, r - warmup, ok, (long long)total, (long long)cpu);
      for (int i = 0; i < MAX_STEPS; i++) {
        sc->step_ns[i][m] = steps[i];
        fprintf(csv, ",%lld", (long long)steps[i]);
      }
      fprintf(csv, "\n");
    }
    if ((r + 1) % 25 == 0) fprintf(stderr, "  round %d/%d\n", r + 1, total_rounds);
  }
  fclose(csv);

  printf("%-22s %5s %5s %9s %9s %9s %9s %8s   %s\n", "scenario", "n", "fail", "median", "p10", "p90",
         "min", "cpu/run", "per-step medians (ms)");
  for (int s = 0; s < nscen; s++) {
    struct scenario *sc = &scen[s];
    int fails = 0;
    for (int i = 0; i < sc->n; i++) fails += !sc->ok[i];
    printf("%-22s %5d %5d %9.2f %9.2f %9.2f %9.2f %8.2f  ", sc->name, sc->n, fails,
           pct(sc->total, sc->n, .5), pct(sc->total, sc->n, .1), pct(sc->total, sc->n, .9),
           pct(sc->total, sc->n, 0), pct(sc->cpu, sc->n, .5));
    if (!sc->parallel && sc->nsteps > 1)
      for (int i = 0; i < sc->nsteps; i++)
        printf(" %s=%.2f", step_label(&sc->steps[i]), pct(sc->step_ns[i], sc->n, .5));
    printf("\n");
  }
  for (int s = 0; s < nscen; s++) {
    struct scenario *sc = &scen[s];
    int fails = 0;
    for (int i = 0; i < sc->n; i++) fails += !sc->ok[i];
    printf("SUMMARY %s %.3f %.3f %.3f %d %d\n", sc->name, pct(sc->total, sc->n, .5),
           pct(sc->total, sc->n, .1), pct(sc->total, sc->n, .9), fails, sc->n);
    printf("CPU %s %.3f %.3f %.3f\n", sc->name, pct(sc->cpu, sc->n, .5), pct(sc->cpu, sc->n, .1),
           pct(sc->cpu, sc->n, .9));
  }
  return 0;
}
