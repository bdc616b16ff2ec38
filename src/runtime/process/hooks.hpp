// OCI hooks: programs run at lifecycle points with the container's state on stdin.
#pragma once

#include <string>
#include <vector>

#include "base/fd.hpp"
#include "runtime/state/state.hpp"
#include "vcrun/spec.hpp"

namespace vcrun {

// Runs each hook in order in the runtime's namespaces, and in the container's hooks cgroup
// (state::MadeHooksCgroup) when it has one; a failing hook (non-zero exit,
// timeout) throws Error naming `field`[i]. Empty list: nothing is forked.
void run_hooks(const std::vector<Hook>& hooks, const std::string& field,
               const state::ContainerState& st);

// poststart and poststop (OCI: a failure is a warning; the remaining hooks and the
// lifecycle go on). The state says `status` (running, stopped), whatever a short-lived
// process has done by the time the hook reads it.
void run_hooks_warning(const std::vector<Hook>& hooks, const std::string& field,
                       const state::ContainerState& st, state::Status status);

// Hooks that run in the container's namespaces (createContainer, startContainer). OCI
// resolves their paths in the runtime's namespace: the binaries are opened (O_PATH) at
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

}  // namespace vcrun
