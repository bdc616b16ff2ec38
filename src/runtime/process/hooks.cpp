// OCI hooks: fork (into the hooks cgroup when the container has one), feed the state JSON
// on stdin, wait with the hook's timeout.
#include "runtime/process/hooks.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include <spdlog/spdlog.h>

#include "base/fd.hpp"
#include "runtime/process/clone.hpp"
#include "runtime/rootfs/paths.hpp"
#include "vcrun/error.hpp"

namespace vcrun {

namespace {

// Waits for pid up to timeout_s seconds (forever when <= 0); kills it on timeout.
int wait_with_timeout(pid_t pid, int timeout_s, const std::string& what) {
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (pidfd && timeout_s > 0) {
    pollfd p{pidfd.get(), POLLIN, 0};
    int rc;
    do rc = ::poll(&p, 1, timeout_s * 1000);
    while (rc < 0 && errno == EINTR);
    if (rc == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      throw Error(what + ": timed out after " + std::to_string(timeout_s) + "s", ETIMEDOUT);
    }
  }
  int status;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw_errno(what + ": waitpid");
  return status;
}

// How a hook is started. exe_fd >= 0: execute that already opened binary instead of
// resolving hook.path now. cgroup_fd >= 0: the hook starts in that cgroup. become: run in
// the child before execve (it may throw; the message becomes the hook's error).
struct HookStart {
  int exe_fd = -1;
  int cgroup_fd = -1;
  const std::function<void()>* become = nullptr;
};

// In the hook's child: the reason it could not execute, to the parent, then exit.
[[noreturn]] void child_failed(int err_fd, const std::string& message) {
  (void)!::write(err_fd, message.data(), message.size());
  ::_exit(127);
}

void run_hook(const Hook& hook, const std::string& what, const std::string& state_json,
              const HookStart& how) {
  int in[2], errp[2];
  if (::pipe2(in, O_CLOEXEC) != 0) throw_errno(what + ": pipe");
  UniqueFd rd(in[0]), wr(in[1]);
  if (::pipe2(errp, O_CLOEXEC) != 0) throw_errno(what + ": pipe");
  UniqueFd err_rd(errp[0]), err_wr(errp[1]);
  std::vector<char*> argv, envp;
  std::vector<std::string> args = hook.args.empty() ? std::vector<std::string>{hook.path}
                                                     : hook.args;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  auto env = hook.env;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = how.cgroup_fd >= 0 ? clone_into(0, how.cgroup_fd) : ::fork();
  if (pid < 0) throw_errno(what + ": fork");
  if (pid == 0) {
    // `run` blocks the signals it forwards: the hook (and what it starts) must not inherit that.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(rd.get(), STDIN_FILENO);
    if (how.become) {
      // Kept open across execve: a script's interpreter reads it as /dev/fd/N.
      if (how.exe_fd >= 0) ::fcntl(how.exe_fd, F_SETFD, 0);
      try {
        (*how.become)();
      } catch (const std::exception& e) {
        child_failed(err_wr.get(), e.what());
      }
    }
    if (how.exe_fd >= 0) {
      ::execveat(how.exe_fd, "", argv.data(), envp.data(), AT_EMPTY_PATH);
      // A seccomp profile may allow execve alone: the same file through its fd.
      if (how.become && (errno == ENOSYS || errno == EPERM)) {
        std::string self = "/proc/self/fd/" + std::to_string(how.exe_fd);
        ::execve(self.c_str(), argv.data(), envp.data());
      }
    } else {
      ::execve(hook.path.c_str(), argv.data(), envp.data());
    }
    // "exec PATH: No such file or directory", as runc names a hook it cannot run, rather
    // than a status 127 that could as well be the hook's own.
    child_failed(err_wr.get(), "exec " + hook.path + ": " + std::strerror(errno));
  }
  rd.reset();
  err_wr.reset();
  // A hook need not read its stdin: ignore EPIPE.
  auto old = ::signal(SIGPIPE, SIG_IGN);
  (void)!::write(wr.get(), state_json.data(), state_json.size());
  ::signal(SIGPIPE, old);
  wr.reset();
  int status = wait_with_timeout(pid, hook.timeout.value_or(0), what);
  // The child is gone and execve closed its copy: this read cannot block.
  char buf[1024];
  ssize_t n = ::read(err_rd.get(), buf, sizeof buf);
  if (n > 0) throw Error(what + ": " + std::string(buf, static_cast<size_t>(n)));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  throw Error(what + " (" + hook.path + "): " +
              (WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                 : "killed by signal " + std::to_string(WTERMSIG(status))));
}

// The container's hooks cgroup, if it has one (and it is still there).
UniqueFd open_hooks_cgroup(const state::ContainerState& st) {
  std::string path = teardown::hooks_cgroup(st.teardown);
  if (path.empty()) return UniqueFd();
  return UniqueFd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

}  // namespace

void run_hooks(const std::vector<Hook>& hooks, const std::string& field,
               const state::ContainerState& st) {
  if (hooks.empty()) return;
  auto status = state::current_status(st);
  std::string json = state::oci_state_json(st, status);
  UniqueFd cgroup = open_hooks_cgroup(st);
  for (size_t i = 0; i < hooks.size(); ++i)
    run_hook(hooks[i], field + "[" + std::to_string(i) + "]", json, {-1, cgroup.get(), nullptr});
}

void run_hooks_warning(const std::vector<Hook>& hooks, const std::string& field,
                       const state::ContainerState& st, state::Status status) {
  if (hooks.empty()) return;
  std::string json = state::oci_state_json(st, status);
  UniqueFd cgroup = open_hooks_cgroup(st);
  for (size_t i = 0; i < hooks.size(); ++i) {
    try {
      run_hook(hooks[i], field + "[" + std::to_string(i) + "]", json, {-1, cgroup.get(), nullptr});
    } catch (const Error& e) {
      spdlog::warn("{}", e.what());
    }
  }
}

ContainerHooks::ContainerHooks(const std::vector<Hook>& hooks, const std::string& field)
    : hooks_(hooks), field_(field) {
  for (size_t i = 0; i < hooks.size(); ++i) {
    UniqueFd fd(::open(hooks[i].path.c_str(), O_PATH | O_CLOEXEC));
    if (!fd) throw_errno(field + "[" + std::to_string(i) + "]: open " + hooks[i].path);
    fds_.push_back(std::move(fd));
  }
}

void ContainerHooks::run(const std::string& state_json) const {
  for (size_t i = 0; i < hooks_.size(); ++i)
    run_hook(hooks_[i], field_ + "[" + std::to_string(i) + "]", state_json, {fds_[i].get(), -1, nullptr});
}

void run_start_container_hooks(const std::vector<Hook>& hooks, const std::string& field,
                               const std::string& state_json,
                               const std::function<void()>& become_process) {
  if (hooks.empty()) return;
  // After pivot_root "/" is the container's root.
  UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) throw_errno(field + ": open /");
  for (size_t i = 0; i < hooks.size(); ++i) {
    const std::string what = field + "[" + std::to_string(i) + "]";
    UniqueFd exe;
    try {
      exe = paths::open_in_root(root.get(), hooks[i].path, O_PATH);
    } catch (const Error& e) {
      throw e.with_context(what);
    }
    run_hook(hooks[i], what, state_json, {exe.get(), -1, &become_process});
  }
}

}  // namespace vcrun
