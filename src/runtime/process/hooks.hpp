// OCI hooks: programs run at lifecycle points with the container's state on stdin.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/fd.hpp"
#include "runtime/state/state.hpp"
#include "vcrun/spec.hpp"

namespace vcrun {

// Runs each hook in order in the runtime's namespaces, and in the container's hooks cgroup
// (cgroup::MadeHooksCgroup) when it has one; a failing hook (non-zero exit,
// timeout) throws Error naming `field`[i]. Empty list: nothing is forked.
void run_hooks(const std::vector<Hook>& hooks, const std::string& field,
               const state::ContainerState& st);

// poststart and poststop (OCI: a failure is a warning; the remaining hooks and the
// lifecycle go on). The state says `status` (running, stopped), whatever a short-lived
// process has done by the time the hook reads it.
void run_hooks_warning(const std::vector<Hook>& hooks, const std::string& field,
                       const state::ContainerState& st, state::Status status);

// createContainer hooks: run in the container's namespaces before pivot_root, their paths
// resolved in the runtime's mount namespace (OCI): the binaries are opened (O_PATH) at
// construction, before pivot_root, and executed from those fds later.
class ContainerHooks {
 public:
  ContainerHooks(const std::vector<Hook>& hooks, const std::string& field);
  void run(const std::string& state_json) const;

 private:
  const std::vector<Hook>& hooks_;
  std::string field_;
  std::vector<UniqueFd> fds_;
};

// startContainer hooks, run by the init after pivot_root and the start signal. As in runc
// and crun, each is the container process in all but its command: its path is resolved in
// the container's root (OCI: "in the container namespace"; magic links refused), and a
// child of the init first runs `become_process` (the container process's rlimits, user,
// capabilities, no_new_privs and seccomp filter) and then executes it. Run with the init's
// privileges, a binary whose loader and libraries come from the image would hand the image
// every capability. `become_process` may throw: the message becomes the hook's error. A
// missing binary, a failed exec, a non-zero exit or a timeout throw Error naming field[i].
void run_start_container_hooks(const std::vector<Hook>& hooks, const std::string& field,
                               const std::string& state_json,
                               const std::function<void()>& become_process);

}  // namespace vcrun
