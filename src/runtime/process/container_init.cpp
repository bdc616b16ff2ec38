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

void container_init(const InitContext& ctx) {
  const ContainerSpec& spec = *ctx.spec;
  reset_signal_mask();
  // Until execve the init is the vcrun binary: see self_protect.hpp.
  security::protect_self_exe();
  int error_fd = ctx.sync_fd;
  // The filter still to load before execve: none once hand_over_listener loaded it.
  const security::SeccompProgram* seccomp = ctx.seccomp;
  UniqueFd start_fifo;
  std::string exe;
  try {
    close_inherited_fds(ctx.preserve_fds);
    state::ContainerState hook_state = *ctx.state;
    hook_state.pid = expect_go(ctx.sync_fd);
    // In a user namespace (new, or joined before clone) the init still carries the host's
    // (unmapped) ids: become the namespace's root so files it creates get mapped owners.
    if (spec.has_namespace(NamespaceType::user) &&
        (::setresgid(0, 0, 0) != 0 || ::setresuid(0, 0, 0) != 0))
      throw_errno("linux.uidMappings: become root in the user namespace");
    for (size_t i = 0; i < ctx.join_fds.size(); ++i)
      if (::setns(ctx.join_fds[i], ctx.join_types[i]) != 0)
        throw_errno(joined_field(spec, ctx.join_types[i]) + ": setns");
    if (ctx.state->new_keyring) join_new_session_keyring();
    if (spec.has_namespace(NamespaceType::uts)) {
      if (!spec.hostname.empty() && ::sethostname(spec.hostname.data(), spec.hostname.size()))
        throw_errno("hostname: sethostname");
      if (!spec.domainname.empty() &&
          ::setdomainname(spec.domainname.data(), spec.domainname.size()))
        throw_errno("domainname: setdomainname");
    }
    // Only a network namespace of its own: a joined one is someone else's to configure.
    if (creates_namespace(spec, NamespaceType::network)) loopback::set_up();
    apply_sysctls(spec);
    ContainerHooks create_hooks(spec.hooks.create_container, "hooks.createContainer");
    // OCI: createContainer hooks run in the container's mount namespace before
    // pivot_root, so their paths are the runtime's.
    rootfs::setup(spec, ctx.rootfs_plan, [&] {
      if (!spec.hooks.create_container.empty())
        create_hooks.run(state::oci_state_json(hook_state, state::Status::creating));
    });
    // As runc: the cwd and the command are checked before `create` returns, and nothing
    // after the seccomp filter needs a call the profile did not ask for.
    enter_cwd(spec.process.cwd);
    exe = prepare_exec(spec.process, ctx.preserve_fds);
    // Before a notify filter is in (it may not allow stat) and before ready.
    if (ctx.exec_fifo_fd >= 0) check_exec_fifo_reachable(ctx.exec_fifo_fd);
    if (spec.process.terminal)
      fdpass::send_fd(ctx.sync_fd, console::open_in_container(spec.process).get(), "terminal fd");
    if (seccomp && seccomp->notifies()) {
      hand_over_listener(ctx.sync_fd, *seccomp);
      seccomp = nullptr;
    }
    if (!sync::send(ctx.sync_fd, sync::kReady)) ::_exit(127);
    if (ctx.exec_fifo_fd >= 0) {
      start_fifo = wait_for_start(ctx.exec_fifo_fd);
      ::close(ctx.exec_fifo_fd);
      // The parent is gone; `start` waits on the fifo for the outcome.
      error_fd = start_fifo.get();
    } else {
      expect(ctx.sync_fd, sync::kStart);
    }
    // Each hook is the container process but for its command: the caller's fds are the
    // process's alone, and `seccomp` is what is still to load (a notify filter is in).
    if (!spec.hooks.start_container.empty())
      run_start_container_hooks(spec.hooks.start_container, "hooks.startContainer",
                                state::oci_state_json(hook_state, state::Status::created), [&] {
                                  close_preserved_fds(ctx.preserve_fds);
                                  apply_process_security(spec.process, seccomp);
                                });
  } catch (const ExecError& e) {
    fail_exec(error_fd, e);
  } catch (const std::exception& e) {
    fail(error_fd, e.what());
  }
  if (spec.vcrun.init) run_builtin_init(spec.process, exe, seccomp, error_fd, ctx.preserve_fds);
  try {
    apply_process_security(spec.process, seccomp);
  } catch (const std::exception& e) {
    fail(error_fd, e.what());
  }
  exec_prepared(spec.process, exe, error_fd);
}

}  // namespace vcrun
