// OCI hooks: programs run at lifecycle points with the container's state on stdin.
#pragma once

#include <string>
#include <vector>

#include "runtime/state.hpp"
#include "vcrun/spec.hpp"

namespace vcrun {

// Runs each hook in order in the runtime's namespaces; a failing hook (non-zero exit,
// timeout) throws Error naming `field`[i]. Empty list: nothing is forked.
void run_hooks(const std::vector<Hook>& hooks, const std::string& field,
               const state::ContainerState& st);

}  // namespace vcrun
