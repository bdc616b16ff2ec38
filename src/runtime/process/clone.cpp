// clone3 wrapper.
#include "runtime/process/clone.hpp"

#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "vcrun/error.hpp"

namespace vcrun {

namespace {

pid_t clone3_into(uint64_t flags, uint64_t exit_signal, int cgroup_fd) {
  struct clone_args args;
  std::memset(&args, 0, sizeof args);
  args.flags = flags;
  args.exit_signal = exit_signal;
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(cgroup_fd);
  }
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) throw_errno("clone3");
  return static_cast<pid_t>(pid);
}

}  // namespace

pid_t clone_into(uint64_t namespace_flags, int cgroup_fd) {
  return clone3_into(namespace_flags, SIGCHLD, cgroup_fd);
}

pid_t clone_sibling_into(uint64_t namespace_flags, int cgroup_fd) {
  // clone3 refuses an exit signal with CLONE_PARENT: the child takes the caller's.
  return clone3_into(namespace_flags | CLONE_PARENT, 0, cgroup_fd);
}

uint64_t namespace_flag(NamespaceType type) {
  switch (type) {
    case NamespaceType::pid: return CLONE_NEWPID;
    case NamespaceType::network: return CLONE_NEWNET;
    case NamespaceType::mount: return CLONE_NEWNS;
    case NamespaceType::ipc: return CLONE_NEWIPC;
    case NamespaceType::uts: return CLONE_NEWUTS;
    case NamespaceType::user: return CLONE_NEWUSER;
    case NamespaceType::cgroup: return CLONE_NEWCGROUP;
    case NamespaceType::time: return CLONE_NEWTIME;
  }
  return 0;
}

}  // namespace vcrun
