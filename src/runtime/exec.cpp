// `vcrun exec`: a new process inside a running container's namespaces, cgroup and
// security settings.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <tuple>

#include <spdlog/spdlog.h>

#include "base/fd_passing.hpp"
#include "base/fs_util.hpp"
#include "cgroup/exec_cgroup.hpp"
#include "runtime/process/clone.hpp"
#include "runtime/process/console.hpp"
#include "runtime/process/container_init.hpp"
#include "runtime/process/forward.hpp"
#include "runtime/process/preserved_fds.hpp"
#include "runtime/process/sync.hpp"
#include "runtime/security/capabilities.hpp"
#include "runtime/security/keyring.hpp"
#include "runtime/security/lsm.hpp"
#include "runtime/security/seccomp_listener.hpp"
#include "runtime/security/seccomp_select.hpp"
#include "runtime/security/self_protect.hpp"
#include "runtime/state/state.hpp"
#include "vcrun/error.hpp"
#include "vcrun/runtime.hpp"

namespace vcrun {

namespace {

// A decimal uid or gid that the option `field` gave in `text`.
uint32_t parse_id(const std::string& s, const std::string& field, const std::string& text,
                  const char* form) {
  if (s.empty() || s.size() > 10 || s.find_first_not_of("0123456789") != std::string::npos)
    throw SpecError(field, std::string("must be ") + form + " (numbers), got \"" + text + "\"");
  unsigned long v = std::stoul(s);
  if (v > 0xfffffffeUL) throw SpecError(field, "id out of range in \"" + text + "\"");
  return static_cast<uint32_t>(v);
}

// "UID" or "UID:GID", decimal.
void apply_user(Process& p, const std::string& user) {
  auto colon = user.find(':');
  p.user.uid = parse_id(user.substr(0, colon), "ExecOptions.user", user, "UID or UID:GID");
  if (colon != std::string::npos)
    p.user.gid = parse_id(user.substr(colon + 1), "ExecOptions.user", user, "UID or UID:GID");
}

// ExecOptions.caps adds to the bounding, effective and permitted sets (runc's meaning); ambient too
// when the process already has inheritable capabilities, as ambient needs them.
void add_capabilities(Process& p, const std::vector<std::string>& caps) {
  if (caps.empty()) return;
  security::capability_mask(caps, "ExecOptions.caps");  // refuses unknown names
  if (!p.capabilities) p.capabilities = Capabilities{};
  Capabilities& c = *p.capabilities;
  auto add = [](std::vector<std::string>& set, const std::string& name) {
    if (std::find(set.begin(), set.end(), name) == set.end()) set.push_back(name);
  };
  for (const auto& name : caps) {
    add(c.bounding, name);
    add(c.effective, name);
    add(c.permitted, name);
    if (!c.inheritable.empty()) {
      add(c.inheritable, name);
      add(c.ambient, name);
    }
  }
}

// Everything the options can get wrong is refused here, before anything is touched.
Process exec_process_spec(const ContainerSpec& spec, const ExecOptions& opts) {
  Process p = spec.process;
  p.terminal = false;  // the container's terminal is its own; exec asks for one with --tty
  if (!opts.process_file.empty()) {
    try {
      p = parse_process_json(read_file(opts.process_file));
    } catch (const Error& e) {
      throw SpecError("ExecOptions.process_file", opts.process_file, e.what(), e.code());
    }
  } else if (opts.args.empty()) {
    throw SpecError("args", "must name a command (or give ExecOptions.process_file)");
  }
  if (!opts.args.empty()) p.args = opts.args;
  for (const auto& kv : opts.env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw SpecError("env", "\"" + kv + "\" is not KEY=VALUE");
    auto key = kv.substr(0, eq + 1);
    std::erase_if(p.env, [&](const std::string& e) { return e.rfind(key, 0) == 0; });
    p.env.push_back(kv);
  }
  if (!opts.cwd.empty()) {
    if (opts.cwd[0] != '/') throw SpecError("cwd", "must be an absolute path");
    p.cwd = opts.cwd;
  }
  if (!opts.user.empty()) apply_user(p, opts.user);
  for (const auto& gid : opts.additional_gids)
    p.user.additional_gids.push_back(parse_id(gid, "ExecOptions.additional_gids", gid, "a GID"));
  add_capabilities(p, opts.caps);
  security::check_capabilities(p);
  if (opts.no_new_privs) p.no_new_privileges = true;
  if (!opts.apparmor_profile.empty()) p.apparmor_profile = opts.apparmor_profile;
  if (!opts.process_label.empty()) p.selinux_label = opts.process_label;
  if (opts.tty) p.terminal = true;
  if (p.terminal && opts.detach && opts.console_socket.empty())
    throw SpecError("ExecOptions.tty", "with ExecOptions.detach needs CreateOptions.console_socket (or nothing would hold the terminal)");
  if (!opts.console_socket.empty() && !p.terminal)
    throw SpecError("CreateOptions.console_socket", "needs a terminal (ExecOptions.tty or process.terminal)");
  return p;
}

// One exec, as the parent's step list; the new process's own steps are in clone_process.
class Exec {
 public:
  Exec(const std::string& root, const std::string& id, const ExecOptions& opts)
      : root_(root), id_(id), opts_(opts) {}

  // The running (or, with ignore_paused, paused) container, a pidfd of its init and its
  // config. Nothing is made before prepare() has checked every option.
  void find_container() {
    check_preserved_fds(opts_.preserve_fds);
    state::Store store(root_);
    st_ = store.load(id_);
    pidfd_.reset(static_cast<int>(::syscall(SYS_pidfd_open, st_.pid, 0)));
    if (!pidfd_ || !state::init_alive(st_)) throw Error("container " + id_ + " is not running", ESRCH);
    // A frozen cgroup freezes the new process too, before it execs: exec would hang until a
    // resume. Refused unless asked for, as runc does.
    if (!opts_.ignore_paused && state::current_status(st_) == state::Status::paused)
      throw Error("container " + id_ + " is paused: resume it or pass ExecOptions.ignore_paused", EBUSY);
    spec_ = parse_spec(read_file(store.dir(id_) + "/config.json"), st_.bundle);
    spdlog::debug("exec: container {}, init pid {}", id_, st_.pid);
  }

  // The process (the container's, with the options on top), its sub-cgroup and its
  // seccomp program.
  void prepare() {
    process_ = exec_process_spec(spec_, opts_);
    std::string sub_cgroup = exec_cgroup_path(opts_.cgroup);
    if (!sub_cgroup.empty()) cgroup_ = open_exec_cgroup(st_.cgroup_path, sub_cgroup);
    security::warn_unapplied_labels(process_);
    seccomp_ = security::compile_for(spec_);
    spdlog::debug("exec: {} as {}:{} in {}{}, seccomp {} instructions",
                  process_.args.empty() ? "" : process_.args.front(), process_.user.uid, process_.user.gid,
                  process_.cwd, process_.terminal ? ", with a terminal" : "", seccomp_ ? seccomp_->size() : 0);
  }

  // The pid namespace is joined here, so that the clone is born in it; the others in the
  // child. Without a sub-cgroup the process starts in the container's cgroup.
  void enter_pid_namespace() {
    for (const auto& ns : spec_.linux.namespaces)
      if (ns.type != NamespaceType::pid) join_flags_ |= static_cast<int>(namespace_flag(ns.type));
    if (spec_.has_namespace(NamespaceType::pid) && ::setns(pidfd_.get(), CLONE_NEWPID) != 0)
      throw_errno("setns pid namespace of container " + id_);
    if (!cgroup_ && !st_.cgroup_path.empty()) {
      cgroup_.reset(::open(st_.cgroup_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (!cgroup_) throw_errno("open " + st_.cgroup_path);
    }
  }

  // The process, cloned into the cgroup; it joins the other namespaces and the session
  // keyring, enters its cwd, sends back its terminal, and execs. Forwarded signals stay
  // blocked in the parent until wait().
  void clone_process() {
    forwarded_ = forwarded_signals();
    sigprocmask(SIG_BLOCK, &forwarded_, &old_mask_);
    std::tie(parent_end_, child_end_) = sync::make_pair();
    child_ = clone_into(0, cgroup_.get());
    if (child_ == 0) {
      parent_end_.reset();
      sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
      // Until execve this is the vcrun binary inside the container: see self_protect.hpp.
      security::protect_self_exe();
      try {
        // Still in the runtime's mount namespace: /proc/self is this process.
        security::apply_oom_score_adj(process_, 0);
        if (join_flags_ && ::setns(pidfd_.get(), join_flags_) != 0)
          throw_errno("setns namespaces of container " + id_);
        if (st_.new_keyring) join_new_session_keyring();
        enter_cwd(process_.cwd);
        if (process_.terminal)
          fdpass::send_fd(child_end_.get(), console::open_in_container(process_).get(), "terminal fd");
      } catch (const std::exception& e) {
        fail(child_end_.get(), e.what());
      }
      exec_process(process_, seccomp_ ? &*seccomp_ : nullptr, child_end_.get(), opts_.preserve_fds);
    }
    child_end_.reset();
    spdlog::debug("exec: process {} cloned into the container's {}", child_,
                  opts_.cgroup.empty() ? "cgroup" : "sub-cgroup");
  }

  // Until the process execs: its terminal's master, its seccomp listener for the agent,
  // and its setup error if it had one. A process that fails here is reaped.
  void hand_over() {
    const bool notify = seccomp_ && seccomp_->notifies() && spec_.linux.seccomp;
    try {
      if (process_.terminal) master_ = fdpass::receive_fd(parent_end_.get(), "terminal", sync::throw_if_error);
      if (notify) {
        // As runc: the process's own pid, the container's state (its init's pid).
        UniqueFd listener = fdpass::receive_fd(parent_end_.get(), "seccomp listener fd", sync::throw_if_error);
        security::send_to_seccomp_agent(*spec_.linux.seccomp, listener.get(), child_,
                                        state::oci_state_json(st_, state::current_status(st_)));
      }
      // EOF: the process exec'd (the channel is close-on-exec); a message: it failed.
      sync::throw_if_error(sync::receive(parent_end_.get()));
      if (!opts_.console_socket.empty()) {
        console::send_to_console_socket(opts_.console_socket, master_.get());
        master_.reset();
      }
    } catch (...) {
      // Nobody holds its terminal, or its notifications would never be answered.
      if (!opts_.console_socket.empty() || notify) ::kill(child_, SIGKILL);
      ::waitpid(child_, nullptr, 0);
      sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
      throw;
    }
  }

  // The pid file, then the process's exit status (its terminal proxied), or 0 at once
  // when detached.
  int wait() {
    if (!opts_.pid_file.empty()) write_file_atomic(opts_.pid_file, std::to_string(child_), 0644);
    int status = opts_.detach ? 0
                 : master_    ? console::proxy_and_wait(child_, master_.get(), forwarded_)
                              : wait_forwarding(child_, forwarded_);
    sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
    if (opts_.detach)
      spdlog::debug("exec: process {} left running (detached)", child_);
    else
      spdlog::debug("exec: process {} exited, status {}", child_, status);
    return status;
  }

 private:
  const std::string& root_;
  const std::string& id_;
  const ExecOptions& opts_;
  state::ContainerState st_;
  UniqueFd pidfd_;
  ContainerSpec spec_;
  Process process_;
  UniqueFd cgroup_;
  std::optional<security::SeccompProgram> seccomp_;
  int join_flags_ = 0;
  sigset_t forwarded_{}, old_mask_{};
  UniqueFd parent_end_, child_end_;
  pid_t child_ = -1;
  UniqueFd master_;
};

}  // namespace

int Runtime::exec(const std::string& id, const ExecOptions& opts) {
  Exec x(root_, id, opts);
  x.find_container();
  x.prepare();
  x.enter_pid_namespace();
  x.clone_process();
  x.hand_over();
  return x.wait();
}

}  // namespace vcrun
