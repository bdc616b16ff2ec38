// Foreground waiting with signal forwarding.
#include "runtime/process/forward.hpp"

#include <sys/wait.h>

#include <cerrno>
#include <ctime>

#include "base/idle_memory.hpp"
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
  const timespec idle{kIdleAfterMs / 1000, kIdleAfterMs % 1000 * 1'000'000L};
  bool released = false;
  for (;;) {
    int status;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (r < 0 && errno != EINTR) throw_errno("waitpid");
    siginfo_t info;
    // sigtimedwait both ways: a function first called after the release would have the
    // dynamic linker resolve it, faulting back in the symbol tables just dropped.
    int sig = sigtimedwait(&set, &info, released ? nullptr : &idle);
    if (sig < 0 && errno == EAGAIN) {
      release_idle_memory();
      released = true;
    }
    if (sig > 0 && sig != SIGCHLD) ::kill(pid, sig);
  }
}

}  // namespace vcrun
