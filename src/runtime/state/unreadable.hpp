// `delete --force` of a container whose state.json cannot be read (truncated, corrupt):
// what it left is found from what else is on disk instead of being orphaned.
#pragma once

#include <string>

#include "runtime/state/state.hpp"

namespace vcrun {

// Kills every process in the cgroup the container would have had (config.json's
// linux.cgroupsPath, else vcrun's default parent plus id) and removes that cgroup when it
// is vcrun's default one; a linux.cgroupsPath cgroup is emptied and kept, as vcrun cannot
// tell whether it made it. Then removes the state directory. Throws (leaving the state
// directory) when the processes cannot be killed.
void destroy_unreadable(const state::Store& store, const std::string& id, const std::string& why);

}  // namespace vcrun
