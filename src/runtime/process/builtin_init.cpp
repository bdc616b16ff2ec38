// The built-in minimal init: reaps orphans and forwards signals, as the paper's fake init
// did for VServer contexts, but as a real PID 1.
#include "runtime/process/builtin_init.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/process/container_init.hpp"
#include "runtime/process/preserved_fds.hpp"
#include "runtime/security/self_protect.hpp"

namespace vcrun {

namespace {
void ignore_signal(int) {}
}  // namespace

void run_builtin_init(const Process& process, const std::string& exe,
                      const security::SeccompProgram* seccomp, int error_fd,
                      unsigned preserved_fds) {
  try {
    apply_process_security(process, seccomp);
  } catch (const std::exception& e) {
    fail(error_fd, e.what());
  }
  // The init stays the vcrun binary: apply_identity_and_capabilities made it dumpable
  // again after the user switch; see self_protect.hpp.
  security::protect_self_exe();
  // A pid namespace's init only receives signals it handles: install a handler for every
  // catchable one (execve resets them for the child) and take them with sigwaitinfo.
  for (int sig = 1; sig < SIGRTMIN; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, ignore_signal);
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  pid_t child = ::fork();
  if (child < 0) fail(error_fd, "fork container process");
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &old, nullptr);
    ::setsid();
    exec_prepared(process, exe, error_fd);
  }
  // Only the child may hold the sync channel now (its exec must read as EOF upstream), and
  // the caller's descriptors (a pipe's reader must see EOF when the process is done).
  if (error_fd >= 0) ::close(error_fd);
  close_preserved_fds(preserved_fds);
  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&all, &info);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      ::kill(child, sig);
      continue;
    }
    int status;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid != child) continue;
      ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
  }
}

}  // namespace vcrun
