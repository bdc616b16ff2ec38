// Container-level cgroup operations behind `vcrun update`, `pause`, `resume`, `stats`:
// state lookup, status checks, then the cgroup mechanism.
#pragma once

#include <string>
#include <vector>

#include "cgroup/stats.hpp"
#include "vcrun/spec.hpp"

namespace vcrun::cgroup {

// Throws when the container does not exist, has stopped, or has no cgroup.
void update_by_id(const std::string& state_root, const std::string& id, const ContainerSpec& changes);
// pause: running/created -> frozen; resume: paused -> thawed. Clear errors otherwise.
void pause_by_id(const std::string& state_root, const std::string& id);
void resume_by_id(const std::string& state_root, const std::string& id);
// ids empty: every container of the state root.
std::vector<Stats> stats_by_ids(const std::string& state_root, std::vector<std::string> ids);

}  // namespace vcrun::cgroup
