/* Helpers of tests/fault/run, compiled by it with the host's cc:
 *   helper bpf-progs                 ids of every loaded BPF program, one a line
 *                                    (bpf(BPF_PROG_GET_NEXT_ID) from 0 until ENOENT)
 *   helper kill-after USEC LOG CMD.. runs CMD (stdin /dev/null, stdout+stderr to LOG),
 *                                    sends it SIGKILL USEC microseconds after the fork,
 *                                    and prints "killed" if that ended it, else "exit N"
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int bpf_progs(void) {
  union bpf_attr attr;
  unsigned id = 0;
  for (;;) {
    memset(&attr, 0, sizeof attr);
    attr.start_id = id;
    if (syscall(SYS_bpf, BPF_PROG_GET_NEXT_ID, &attr, sizeof attr) != 0) {
      if (errno == ENOENT) return 0;
      perror("bpf(BPF_PROG_GET_NEXT_ID)");
      return 1;
    }
    id = attr.next_id;
    printf("%u\n", id);
  }
}

static int kill_after(long usec, const char* log, char** argv) {
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    return 2;
  }
  if (pid == 0) {
    int null = open("/dev/null", O_RDONLY);
    int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (null < 0 || out < 0) _exit(126);
    dup2(null, 0);
    dup2(out, 1);
    dup2(out, 2);
    execv(argv[0], argv);
    _exit(127);
  }
  struct timespec ts = {usec / 1000000, (usec % 1000000) * 1000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
  kill(pid, SIGKILL);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
    printf("killed\n");
  else
    printf("exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "bpf-progs") == 0) return bpf_progs();
  if (argc >= 5 && strcmp(argv[1], "kill-after") == 0)
    return kill_after(atol(argv[2]), argv[3], argv + 4);
  fprintf(stderr, "usage: helper bpf-progs | helper kill-after USEC LOG CMD...\n");
  return 2;
}
