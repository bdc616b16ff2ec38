// The container's init, from clone to execve. The order is the design's, top to bottom:
// wait for the parent -> join namespaces -> uts -> loopback -> sysctls -> rootfs (mounts,
// /dev, pivot_root, masked/readonly paths) -> cwd and command -> ready -> wait for start ->
// startContainer hooks (each in a child with the process's own security) -> rlimits ->
// user and capabilities -> no_new_privs -> seccomp -> execve. A filter with SCMP_ACT_NOTIFY
// goes in before ready instead (see hand_over_listener).
#include "runtime/process/container_init.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <functional>

#include "base/fd.hpp"
#include "base/fd_passing.hpp"
#include "base/fs_util.hpp"
#include "base/text.hpp"
#include "runtime/process/builtin_init.hpp"
#include "runtime/process/clone.hpp"
#include "runtime/process/console.hpp"
#include "runtime/process/loopback.hpp"
#include "runtime/process/hooks.hpp"
#include "runtime/process/preserved_fds.hpp"
#include "runtime/process/sync.hpp"
#include "runtime/rootfs/paths.hpp"
#include "runtime/security/capabilities.hpp"
#include "runtime/security/keyring.hpp"
#include "runtime/security/self_protect.hpp"
#include "vcrun/error.hpp"

namespace vcrun {

namespace {

// True when the spec asks for a new namespace of this type (not one joined by path).
bool creates_namespace(const ContainerSpec& spec, NamespaceType type) {
  for (const auto& ns : spec.linux.namespaces)
    if (ns.type == type) return ns.path.empty();
  return false;
}

// The spec entry of a namespace joined by path, by its CLONE_NEW* flag.
std::string joined_field(const ContainerSpec& spec, int flag) {
  const auto& nss = spec.linux.namespaces;
  for (size_t i = 0; i < nss.size(); ++i)
    if (!nss[i].path.empty() && namespace_flag(nss[i].type) == static_cast<uint64_t>(flag))
      return indexed("linux.namespaces", i);
  return "linux.namespaces";
}

// Sends `wire` to whoever waits on error_fd: the parent over the sync socket, or `start`
// over the exec fifo (a pipe: send() fails with ENOTSOCK there). With neither, `message`
// goes to stderr.
[[noreturn]] void report_and_exit(int error_fd, const std::string& wire,
                                  const std::string& message, int status) {
  bool sent = false;
  if (error_fd >= 0) {
    sent = sync::send(error_fd, wire);
    if (!sent && errno == ENOTSOCK)
      sent = ::write(error_fd, wire.data(), wire.size()) == static_cast<ssize_t>(wire.size());
  }
  if (!sent) {
    std::string line = "vcrun: " + message + "\n";
    (void)!::write(STDERR_FILENO, line.data(), line.size());
  }
  ::_exit(status);
}

}  // namespace

void fail(int error_fd, const std::string& message) {
  // One line, cut: a message echoing megabytes of input would not fit the sync channel,
  // and would reach the user only through the init's stderr, after the parent's error.
  std::string line = message_line(message);
  report_and_exit(error_fd, sync::kErrorPrefix + line, line, 127);
}

void fail_exec(int error_fd, const ExecError& e) {
  std::string line = message_line(e.what());
  report_and_exit(error_fd, sync::kExecErrorPrefix + std::to_string(e.exit_status()) + ":" + line, line,
                  e.exit_status());
}

namespace {

// "go <pid>": the parent is done with maps and cgroup; <pid> is the init's pid as the host
// (and the OCI state) knows it.
pid_t expect_go(int fd) {
  auto msg = sync::receive(fd);
  if (!msg) ::_exit(127);  // the parent died: nothing to report to, nothing to leave
  const std::string prefix = std::string(sync::kGo) + " ";
  if (msg->rfind(prefix, 0) != 0) throw Error("unexpected sync message \"" + *msg + "\"");
  return static_cast<pid_t>(std::stol(msg->substr(prefix.size())));
}

void expect(int fd, const char* what) {
  auto msg = sync::receive(fd);
  if (!msg) ::_exit(127);  // the parent died: nothing to report to, nothing to leave
  if (*msg != what) throw Error("unexpected sync message \"" + *msg + "\"");
}

// vcrun installs no signal handlers before clone, so only the mask (blocked by `run` for
// forwarding) needs resetting; execve resets nothing of it.
void reset_signal_mask() {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

// Namespaced sysctls are written through /proc/sys before the root changes: the kernel
// resolves them against the writer's namespaces, and readonlyPaths may cover /proc/sys
// later. validate_spec only admits sysctls of namespaces the container owns.
void apply_sysctls(const ContainerSpec& spec) {
  for (const auto& [key, value] : spec.linux.sysctl) {
    std::string path = "/proc/sys/" + key;
    for (size_t i = 10; i < path.size(); ++i)
      if (path[i] == '.') path[i] = '/';
    try {
      write_existing(path, value);
    } catch (const Error& e) {
      throw e.with_context("linux.sysctl." + key);
    }
  }
}

// The exec fifo is reopened through /proc/self/fd after ready, when an error can no longer
// reach `create`: so before ready the init checks that this path still leads to the fifo.
// A mount over the container's /proc (a tmpfs, a bind of some other directory) would
// otherwise let `create` succeed with an init that then dies on its way to `start`.
void check_exec_fifo_reachable(int fifo_path_fd) {
  std::string proc_path = "/proc/self/fd/" + std::to_string(fifo_path_fd);
  struct stat via_proc {}, fifo {};
  if (::fstat(fifo_path_fd, &fifo) != 0) throw_errno("exec fifo: fstat");
  if (::stat(proc_path.c_str(), &via_proc) != 0)
    throw_errno("mounts: the container's /proc does not lead to the exec fifo (" + proc_path +
                " is needed to wait for start; is /proc covered by another mount?)");
  if (via_proc.st_dev != fifo.st_dev || via_proc.st_ino != fifo.st_ino)
    throw Error("mounts: the container's /proc does not lead to the exec fifo (" + proc_path +
                    " is another file; is /proc covered by another mount?)",
                EINVAL);
}

// Opening the fifo for writing blocks until `vcrun start` opens it for reading. The open
// fifo is returned: `start` reads it to EOF, so an error before execve reaches `start`
// (written to it), and execve closes it (close-on-exec) to say the process runs.
UniqueFd wait_for_start(int fifo_path_fd) {
  std::string proc_path = "/proc/self/fd/" + std::to_string(fifo_path_fd);
  UniqueFd fifo(::open(proc_path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fifo) throw_errno("open exec fifo");
  if (::write(fifo.get(), "0", 1) != 1) throw_errno("write exec fifo");
  return fifo;
}

// SCMP_ACT_NOTIFY: the runtime must hand the listener fd to the seccomp agent while it
// still waits for ready (`create` returns then), so the filter is loaded here instead of
// just before execve; the init is still root with all capabilities, which loading
// without no_new_privs needs. Everything the init does from here to execve runs under the
// filter, as in runc (whose notify filters also precede its last steps):
//   sendmsg of the fd (validate_seccomp refuses notify on it: no agent has the fd yet),
//   close, send of ready; then openat/write/close of exec.fifo, or recv of start;
//   the startContainer hooks (openat2, pipe2, clone, pidfd_open, poll, write, read,
//   wait4; in each hook's child dup2, fcntl, close and the process's own steps below);
//   prlimit64, prctl, setgroups, setresgid, setresuid, capget, capset, umask (and
//   openat/read of /proc/self/setgroups when setgroups is refused); execve.
// A profile that routes one of those to the agent delays it until the agent answers; the
// fd is with the agent by then, so it cannot deadlock.
void hand_over_listener(int sync_fd, const security::SeccompProgram& seccomp) {
  UniqueFd listener = seccomp.load();
  fdpass::send_fd(sync_fd, listener.get(), "seccomp listener fd");
}

}  // namespace

void enter_cwd(const std::string& cwd) {
  // The root is now the container's: resolve the cwd inside it, refusing magic links
  // (a /proc/self/fd/N cwd must never reach a host directory).
  UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) throw_errno("open /");
  UniqueFd dir = paths::open_in_root(root.get(), cwd, O_PATH | O_DIRECTORY);
  if (::fchdir(dir.get()) != 0) throw_errno("process.cwd: chdir " + cwd);
}

std::string find_executable(const std::string& name, const std::vector<std::string>& env) {
  struct stat st;
  if (name.find('/') != std::string::npos) {
    if (::stat(name.c_str(), &st) != 0 && (errno == ENOENT || errno == ENOTDIR))
      throw ExecError("exec: \"" + name + "\": stat " + name + ": no such file or directory", 127);
    return name;  // not executable: execve says so, and the status is 126
  }
  std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const auto& kv : env)
    if (kv.rfind("PATH=", 0) == 0) path = kv.substr(5);
  size_t start = 0;
  for (;;) {
    size_t end = path.find(':', start);
    std::string dir = path.substr(start, end == std::string::npos ? end : end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  throw ExecError("exec: \"" + name + "\": executable file not found in $PATH", 127);
}

std::string prepare_exec(const Process& process, unsigned preserved_fds) {
  std::string exe = find_executable(process.args[0], process.env);
  // No descriptor of the runtime reaches the container process (CVE-2024-21626 class).
  close_unpreserved_fds_on_exec(preserved_fds);
  return exe;
}

void exec_process(const Process& process, const security::SeccompProgram* seccomp,
                  int error_fd, unsigned preserved_fds) {
  std::string exe;
  try {
    exe = prepare_exec(process, preserved_fds);
    UniqueFd listener = apply_process_security(process, seccomp);
    // The filter is in: sendmsg (which no profile may route to the agent, see
    // validate_seccomp), close and execve are all that follow.
    if (listener) fdpass::send_fd(error_fd, listener.get(), "seccomp listener fd");
  } catch (const ExecError& e) {
    fail_exec(error_fd, e);
  } catch (const std::exception& e) {
    fail(error_fd, e.what());
  }
  exec_prepared(process, exe, error_fd);
}

UniqueFd apply_process_security(const Process& process, const security::SeccompProgram* seccomp) {
  security::apply_rlimits(process);
  return security::apply_identity_and_capabilities(process, seccomp);
}

void exec_prepared(const Process& process, const std::string& exe, int error_fd) {
  std::vector<char*> argv, envp;
  for (const auto& a : process.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : process.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  ::execve(exe.c_str(), argv.data(), envp.data());
  int err = errno;
  fail_exec(error_fd, ExecError("exec " + process.args[0] + ": " + std::strerror(err),
                                err == ENOENT ? 127 : 126));
}

namespace {

// The init, as the child's step list (launch()'s mirror): container_init() calls the steps
// top to bottom. A step that fails throws; the error goes to whoever waits on error_fd()
// (the parent until ready, `start` after) and the init exits.
class Init {
 public:
  explicit Init(const InitContext& ctx)
      : ctx_(ctx), spec_(*ctx.spec), error_fd_(ctx.sync_fd), seccomp_(ctx.seccomp) {}

  int error_fd() const { return error_fd_; }

  // "go <pid>": the parent wrote the maps and placed the init in its cgroup.
  void wait_for_go() {
    close_inherited_fds(ctx_.preserve_fds);
    hook_state_ = *ctx_.state;
    hook_state_.pid = expect_go(ctx_.sync_fd);
  }

  // The namespaces joined by path (after becoming the user namespace's root), and a new
  // session keyring.
  void join_namespaces() {
    // In a user namespace (new, or joined before clone) the init still carries the host's
    // (unmapped) ids: become the namespace's root so files it creates get mapped owners.
    if (spec_.has_namespace(NamespaceType::user) &&
        (::setresgid(0, 0, 0) != 0 || ::setresuid(0, 0, 0) != 0))
      throw_errno("linux.uidMappings: become root in the user namespace");
    for (size_t i = 0; i < ctx_.join_fds.size(); ++i)
      if (::setns(ctx_.join_fds[i], ctx_.join_types[i]) != 0)
        throw_errno(joined_field(spec_, ctx_.join_types[i]) + ": setns");
    if (ctx_.state->new_keyring) join_new_session_keyring();
  }

  // Hostname and domain name, loopback up, namespaced sysctls.
  void configure_namespaces() {
    if (spec_.has_namespace(NamespaceType::uts)) {
      if (!spec_.hostname.empty() && ::sethostname(spec_.hostname.data(), spec_.hostname.size()))
        throw_errno("hostname: sethostname");
      if (!spec_.domainname.empty() &&
          ::setdomainname(spec_.domainname.data(), spec_.domainname.size()))
        throw_errno("domainname: setdomainname");
    }
    // Only a network namespace of its own: a joined one is someone else's to configure.
    if (creates_namespace(spec_, NamespaceType::network)) loopback::set_up();
    apply_sysctls(spec_);
  }

  // Mounts, /dev, pivot_root, masked and read-only paths.
  void build_root() {
    ContainerHooks create_hooks(spec_.hooks.create_container, "hooks.createContainer");
    // OCI: createContainer hooks run in the container's mount namespace before
    // pivot_root, so their paths are the runtime's.
    std::function<void()> hooks;  // none: nothing runs before pivot_root, no chdir for it
    if (!spec_.hooks.create_container.empty())
      hooks = [&] { create_hooks.run(state::oci_state_json(hook_state_, state::Status::creating)); };
    rootfs::setup(spec_, ctx_.rootfs_plan, hooks);
  }

  // As runc: the cwd and the command are checked before `create` returns, and nothing
  // after the seccomp filter needs a call the profile did not ask for.
  void check_process() {
    enter_cwd(spec_.process.cwd);
    exe_ = prepare_exec(spec_.process, ctx_.preserve_fds);
    // Before a notify filter is in (it may not allow stat) and before ready.
    if (ctx_.exec_fifo_fd >= 0) check_exec_fifo_reachable(ctx_.exec_fifo_fd);
  }

  // The pty's master and a notify filter's listener, to the parent.
  void hand_over_fds() {
    if (spec_.process.terminal)
      fdpass::send_fd(ctx_.sync_fd, console::open_in_container(spec_.process).get(), "terminal fd");
    if (seccomp_ && seccomp_->notifies()) {
      hand_over_listener(ctx_.sync_fd, *seccomp_);
      seccomp_ = nullptr;  // loaded: nothing left to load before execve
    }
  }

  // "ready", then the exec fifo (create/start) or "start" (run).
  void await_start() {
    if (!sync::send(ctx_.sync_fd, sync::kReady)) ::_exit(127);
    if (ctx_.exec_fifo_fd >= 0) {
      start_fifo_ = wait_for_start(ctx_.exec_fifo_fd);
      ::close(ctx_.exec_fifo_fd);
      // The parent is gone; `start` waits on the fifo for the outcome.
      error_fd_ = start_fifo_.get();
    } else {
      expect(ctx_.sync_fd, sync::kStart);
    }
  }

  // Each hook is the container process but for its command: the caller's fds are the
  // process's alone, and `seccomp_` is what is still to load (a notify filter is in).
  void run_start_hooks() {
    if (!spec_.hooks.start_container.empty())
      run_start_container_hooks(spec_.hooks.start_container, "hooks.startContainer",
                                state::oci_state_json(hook_state_, state::Status::created), [&] {
                                  close_preserved_fds(ctx_.preserve_fds);
                                  apply_process_security(spec_.process, seccomp_);
                                });
  }

  // The built-in PID 1, or rlimits, identity, capabilities, seccomp and execve.
  [[noreturn]] void exec() {
    if (spec_.vcrun.init) run_builtin_init(spec_.process, exe_, seccomp_, error_fd_, ctx_.preserve_fds);
    try {
      apply_process_security(spec_.process, seccomp_);
    } catch (const std::exception& e) {
      fail(error_fd_, e.what());
    }
    exec_prepared(spec_.process, exe_, error_fd_);
  }

 private:
  const InitContext& ctx_;
  const ContainerSpec& spec_;
  int error_fd_;
  // The filter still to load before execve: none once hand_over_fds loaded it.
  const security::SeccompProgram* seccomp_;
  state::ContainerState hook_state_;  // the hooks' state: the container's, with its host pid
  UniqueFd start_fifo_;
  std::string exe_;
};

}  // namespace

void container_init(const InitContext& ctx) {
  reset_signal_mask();
  // Until execve the init is the vcrun binary: see self_protect.hpp.
  security::protect_self_exe();
  Init init(ctx);
  try {
    init.wait_for_go();
    init.join_namespaces();
    init.configure_namespaces();
    init.build_root();
    init.check_process();
    init.hand_over_fds();
    init.await_start();
    init.run_start_hooks();
  } catch (const ExecError& e) {
    fail_exec(init.error_fd(), e);
  } catch (const std::exception& e) {
    fail(init.error_fd(), e.what());
  }
  init.exec();
}

}  // namespace vcrun
