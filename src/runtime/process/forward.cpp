// Foreground waiting with signal forwarding.
#include "runtime/process/forward.hpp"

#include <sys/wait.h>

#include <cerrno>

#include "vcrun/error.hpp"

namespace vcrun {

sigset_t forwarded_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT,
                  SIGCHLD})
    sigaddset(&set, sig);
  return set;
}

int wait_forwarding(pid_t pid, const sigset_t& set) {
  for (;;) {
    int status;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (r < 0 && errno != EINTR) throw_errno("waitpid");
    siginfo_t info;
    int sig = sigwaitinfo(&set, &info);
    if (sig > 0 && sig != SIGCHLD) ::kill(pid, sig);
  }
}

}  // namespace vcrun
