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
  p.user.uid = parse_id(user.substr(0, colon), "--user", user, "UID or UID:GID");
  if (colon != std::string::npos)
    p.user.gid = parse_id(user.substr(colon + 1), "--user", user, "UID or UID:GID");
}

// --cap adds to the bounding, effective and permitted sets (runc's meaning); ambient too
// when the process already has inheritable capabilities, as ambient needs them.
void add_capabilities(Process& p, const std::vector<std::string>& caps) {
  if (caps.empty()) return;
  security::capability_mask(caps, "--cap");  // refuses unknown names
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
      throw e.with_context("--process " + opts.process_file);
    }
  } else if (opts.args.empty()) {
    throw SpecError("args", "must name a command (or give --process)");
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
    p.user.additional_gids.push_back(parse_id(gid, "--additional-gids", gid, "a GID"));
  add_capabilities(p, opts.caps);
  security::check_capabilities(p);
  if (opts.no_new_privs) p.no_new_privileges = true;
  if (!opts.apparmor_profile.empty()) p.apparmor_profile = opts.apparmor_profile;
  if (!opts.process_label.empty()) p.selinux_label = opts.process_label;
  if (opts.tty) p.terminal = true;
  if (p.terminal && opts.detach && opts.console_socket.empty())
    throw SpecError("--tty", "with --detach needs --console-socket (or nothing would hold the terminal)");
  if (!opts.console_socket.empty() && !p.terminal)
    throw SpecError("--console-socket", "needs a terminal (--tty or process.terminal)");
  return p;
}

}  // namespace

int Runtime::exec(const std::string& id, const ExecOptions& opts) {
  check_preserved_fds(opts.preserve_fds);
  state::Store store(root_);
  auto st = store.load(id);
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, st.pid, 0)));
  if (!pidfd || !state::init_alive(st)) throw Error("container " + id + " is not running", ESRCH);
  // A frozen cgroup freezes the new process too, before it execs: exec would hang until a
  // resume. Refused unless asked for, as runc does.
  if (!opts.ignore_paused && state::current_status(st) == state::Status::paused)
    throw Error("container " + id + " is paused: resume it or pass --ignore-paused", EBUSY);
  ContainerSpec spec = parse_spec(read_file(store.dir(id) + "/config.json"), st.bundle);
  Process process = exec_process_spec(spec, opts);
  std::string sub_cgroup = exec_cgroup_path(opts.cgroup);
  UniqueFd cgroup;
  if (!sub_cgroup.empty()) cgroup = open_exec_cgroup(st.cgroup_path, sub_cgroup);
  security::warn_unapplied_labels(process);
  const bool tty = process.terminal;
  auto seccomp = security::compile_for(spec);

  int join_flags = 0;
  for (const auto& ns : spec.linux.namespaces)
    if (ns.type != NamespaceType::pid) join_flags |= static_cast<int>(namespace_flag(ns.type));
  if (spec.has_namespace(NamespaceType::pid) && ::setns(pidfd.get(), CLONE_NEWPID) != 0)
    throw_errno("setns pid namespace of container " + id);
  if (!cgroup && !st.cgroup_path.empty()) {
    cgroup.reset(::open(st.cgroup_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!cgroup) throw_errno("open " + st.cgroup_path);
  }
  sigset_t set = forwarded_signals(), old;
  sigprocmask(SIG_BLOCK, &set, &old);
  auto [parent_end, child_end] = sync::make_pair();
  pid_t child = clone_into(0, cgroup.get());
  if (child == 0) {
    parent_end.reset();
    sigprocmask(SIG_SETMASK, &old, nullptr);
    // Until execve this is the vcrun binary inside the container: see self_protect.hpp.
    security::protect_self_exe();
    try {
      // Still in the runtime's mount namespace: /proc/self is this process.
      security::apply_oom_score_adj(process, 0);
      if (join_flags && ::setns(pidfd.get(), join_flags) != 0)
        throw_errno("setns namespaces of container " + id);
      if (st.new_keyring) join_new_session_keyring();
      enter_cwd(process.cwd);
      if (tty) fdpass::send_fd(child_end.get(), console::open_in_container(process).get(),
                                 "terminal fd");
    } catch (const std::exception& e) {
      fail(child_end.get(), e.what());
    }
    exec_process(process, seccomp ? &*seccomp : nullptr, child_end.get(), opts.preserve_fds);
  }
  child_end.reset();
  UniqueFd master;
  const bool notify = seccomp && seccomp->notifies() && spec.linux.seccomp;
  try {
    if (tty) master = fdpass::receive_fd(parent_end.get(), "terminal", sync::throw_if_error);
    if (notify) {
      // As runc: the process's own pid, the container's state (its init's pid).
      UniqueFd listener = fdpass::receive_fd(parent_end.get(), "seccomp listener fd",
                                                  sync::throw_if_error);
      security::send_to_seccomp_agent(*spec.linux.seccomp, listener.get(), child,
                                      state::oci_state_json(st, state::current_status(st)));
    }
    // EOF: the process exec'd (the channel is close-on-exec); a message: it failed.
    sync::throw_if_error(sync::receive(parent_end.get()));
    if (!opts.console_socket.empty()) {
      console::send_to_console_socket(opts.console_socket, master.get());
      master.reset();
    }
  } catch (...) {
    // Nobody holds its terminal, or its notifications would never be answered.
    if (!opts.console_socket.empty() || notify) ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    sigprocmask(SIG_SETMASK, &old, nullptr);
    throw;
  }
  if (!opts.pid_file.empty()) write_file_atomic(opts.pid_file, std::to_string(child), 0644);
  int status = opts.detach   ? 0
               : master      ? console::proxy_and_wait(child, master.get(), set)
                             : wait_forwarding(child, set);
  sigprocmask(SIG_SETMASK, &old, nullptr);
  return status;
}

}  // namespace vcrun
