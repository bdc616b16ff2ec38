// The container's init, from clone to execve. The order is the design's, top to bottom:
// wait for the parent -> join namespaces -> uts -> loopback -> sysctls -> rootfs (mounts,
// /dev, pivot_root, masked/readonly paths) -> ready -> wait for start -> cwd -> rlimits ->
// user and capabilities -> no_new_privs -> seccomp -> execve.
#include "runtime/container_init.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "netfilter/rtnetlink.hpp"
#include "runtime/builtin_init.hpp"
#include "runtime/capabilities.hpp"
#include "runtime/console.hpp"
#include "runtime/fd.hpp"
#include "runtime/fs_util.hpp"
#include "runtime/hooks.hpp"
#include "runtime/keyring.hpp"
#include "runtime/paths.hpp"
#include "runtime/preserved_fds.hpp"
#include "runtime/self_protect.hpp"
#include "runtime/sync.hpp"
#include "vcrun/error.hpp"

namespace vcrun {

void fail(int error_fd, const std::string& message) {
  if (error_fd < 0 || !sync::send(error_fd, sync::kErrorPrefix + message)) {
    std::string line = "vcrun: " + message + "\n";
    (void)!::write(STDERR_FILENO, line.data(), line.size());
  }
  ::_exit(127);
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

void wait_for_start(int fifo_path_fd) {
  // Opening the fifo for writing blocks until `vcrun start` opens it for reading.
  std::string proc_path = "/proc/self/fd/" + std::to_string(fifo_path_fd);
  UniqueFd fifo(::open(proc_path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fifo) throw_errno("open exec fifo");
  if (::write(fifo.get(), "0", 1) != 1) throw_errno("write exec fifo");
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
  if (name.find('/') != std::string::npos) return name;
  std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const auto& kv : env)
    if (kv.rfind("PATH=", 0) == 0) path = kv.substr(5);
  size_t start = 0;
  for (;;) {
    size_t end = path.find(':', start);
    std::string dir = path.substr(start, end == std::string::npos ? end : end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  throw Error("process.args[0]: executable \"" + name + "\" not found in $PATH", ENOENT);
}

void exec_process(const Process& process, const security::SeccompProgram* seccomp,
                  int error_fd, unsigned preserved_fds) {
  try {
    apply_process_security(process, seccomp);
  } catch (const std::exception& e) {
    fail(error_fd, e.what());
  }
  exec_prepared(process, error_fd, preserved_fds);
}

void apply_process_security(const Process& process, const security::SeccompProgram* seccomp) {
  security::apply_rlimits(process);
  security::apply_identity_and_capabilities(process, seccomp);
}

void exec_prepared(const Process& process, int error_fd, unsigned preserved_fds) {
  std::vector<char*> argv, envp;
  std::string exe;
  try {
    exe = find_executable(process.args[0], process.env);
    // No descriptor of the runtime reaches the container process (CVE-2024-21626 class).
    close_unpreserved_fds_on_exec(preserved_fds);
  } catch (const std::exception& e) {
    fail(error_fd, e.what());
  }
  for (const auto& a : process.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : process.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  ::execve(exe.c_str(), argv.data(), envp.data());
  int err = errno;
  fail(error_fd, "exec " + process.args[0] + ": " + std::strerror(err));
}

void container_init(const InitContext& ctx) {
  const ContainerSpec& spec = *ctx.spec;
  reset_signal_mask();
  // Until execve the init is the vcrun binary: see self_protect.hpp.
  security::protect_self_exe();
  try {
    state::ContainerState hook_state = *ctx.state;
    hook_state.pid = expect_go(ctx.sync_fd);
    // In a new user namespace the init still carries the host's (unmapped) ids: become
    // the namespace's root so files it creates get mapped owners.
    if (spec.has_namespace(NamespaceType::user) && !spec.linux.uid_mappings.empty() &&
        (::setresgid(0, 0, 0) != 0 || ::setresuid(0, 0, 0) != 0))
      throw_errno("linux.uidMappings: become root in the user namespace");
    for (size_t i = 0; i < ctx.join_fds.size(); ++i)
      if (::setns(ctx.join_fds[i], ctx.join_types[i]) != 0)
        throw_errno("linux.namespaces: setns");
    if (ctx.state->new_keyring) join_new_session_keyring();
    if (spec.has_namespace(NamespaceType::uts)) {
      if (!spec.hostname.empty() && ::sethostname(spec.hostname.data(), spec.hostname.size()))
        throw_errno("hostname: sethostname");
      if (!spec.domainname.empty() &&
          ::setdomainname(spec.domainname.data(), spec.domainname.size()))
        throw_errno("domainname: setdomainname");
    }
    if (spec.has_namespace(NamespaceType::network)) netlink::set_link_up(1);
    apply_sysctls(spec);
    ContainerHooks create_hooks(spec.hooks.create_container, "hooks.createContainer");
    ContainerHooks start_hooks(spec.hooks.start_container, "hooks.startContainer");
    rootfs::setup(spec, ctx.rootfs_plan);
    const std::string state_json =
        spec.hooks.create_container.empty() && spec.hooks.start_container.empty()
            ? std::string()
            : state::oci_state_json(hook_state, state::Status::creating);
    create_hooks.run(state_json);
    if (spec.process.terminal) console::send_fd(ctx.sync_fd, console::open_in_container().get());
    if (!sync::send(ctx.sync_fd, sync::kReady)) ::_exit(127);
    if (ctx.exec_fifo_fd >= 0) {
      wait_for_start(ctx.exec_fifo_fd);
      ::close(ctx.exec_fifo_fd);
    } else {
      expect(ctx.sync_fd, sync::kStart);
    }
    start_hooks.run(state_json);
    enter_cwd(spec.process.cwd);
  } catch (const std::exception& e) {
    fail(ctx.sync_fd, e.what());
  }
  // After `start` of create/start the parent is gone: errors go to the container's stderr.
  int error_fd = ctx.exec_fifo_fd >= 0 ? -1 : ctx.sync_fd;
  if (spec.vcrun.init) run_builtin_init(spec.process, ctx.seccomp, error_fd, ctx.preserve_fds);
  exec_process(spec.process, ctx.seccomp, error_fd, ctx.preserve_fds);
}

}  // namespace vcrun
