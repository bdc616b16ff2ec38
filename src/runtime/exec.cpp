// `vcrun exec`: a new process inside a running container's namespaces, cgroup and
// security settings.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>

#include "runtime/clone.hpp"
#include "runtime/container_init.hpp"
#include "runtime/console.hpp"
#include "runtime/forward.hpp"
#include "runtime/fs_util.hpp"
#include "runtime/seccomp_select.hpp"
#include "runtime/self_protect.hpp"
#include "runtime/state.hpp"
#include "runtime/sync.hpp"
#include "vcrun/error.hpp"
#include "vcrun/runtime.hpp"

namespace vcrun {

namespace {

Process exec_process_spec(const ContainerSpec& spec, const ExecOptions& opts) {
  Process p = spec.process;
  p.args = opts.args;
  for (const auto& kv : opts.env) {
    auto key = kv.substr(0, kv.find('=') + 1);
    std::erase_if(p.env, [&](const std::string& e) { return e.rfind(key, 0) == 0; });
    p.env.push_back(kv);
  }
  if (!opts.cwd.empty()) p.cwd = opts.cwd;
  return p;
}

}  // namespace

int Runtime::exec(const std::string& id, const ExecOptions& opts) {
  if (opts.args.empty()) throw SpecError("args", "must name a command");
  for (const auto& kv : opts.env)
    if (kv.find('=') == std::string::npos) throw SpecError("env", "\"" + kv + "\" is not KEY=VALUE");
  if (!opts.cwd.empty() && opts.cwd[0] != '/') throw SpecError("cwd", "must be an absolute path");
  if (opts.tty && opts.detach) throw SpecError("--tty", "cannot be combined with --detach");
  state::Store store(root_);
  auto st = store.load(id);
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, st.pid, 0)));
  if (!pidfd || !state::init_alive(st)) throw Error("container " + id + " is not running", ESRCH);
  ContainerSpec spec = parse_spec(read_file(store.dir(id) + "/config.json"), st.bundle);
  Process process = exec_process_spec(spec, opts);
  auto seccomp = security::compile_for(spec);

  int join_flags = 0;
  for (const auto& ns : spec.linux.namespaces)
    if (ns.type != NamespaceType::pid) join_flags |= static_cast<int>(namespace_flag(ns.type));
  if (spec.has_namespace(NamespaceType::pid) && ::setns(pidfd.get(), CLONE_NEWPID) != 0)
    throw_errno("setns pid namespace of container " + id);
  UniqueFd cgroup;
  if (!st.cgroup_path.empty()) {
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
      if (join_flags && ::setns(pidfd.get(), join_flags) != 0)
        throw_errno("setns namespaces of container " + id);
      enter_cwd(process.cwd);
      if (opts.tty) console::send_fd(child_end.get(), console::open_in_container().get());
    } catch (const std::exception& e) {
      fail(child_end.get(), e.what());
    }
    exec_process(process, seccomp ? &*seccomp : nullptr, child_end.get());
  }
  child_end.reset();
  UniqueFd master;
  try {
    if (opts.tty) master = console::receive_fd(parent_end.get());
    // EOF: the process exec'd (the channel is close-on-exec); a message: it failed.
    sync::throw_if_error(sync::receive(parent_end.get()));
  } catch (...) {
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
