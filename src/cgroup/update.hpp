// `vcrun update`: changing the limits of a running container, admission control included.
#pragma once

#include <string>

#include "vcrun/spec.hpp"

namespace vcrun::cgroup {

// Applies the resource fields set in `changes` (linux.resources and vcrun.cpu / vcrun.memory;
// unset fields keep their current values; a lone cpu quota or period keeps the other half
// of cpu.max, and a swap limit without a memory limit uses the current memory.max) to the container cgroup at `path`. A changed CPU
// reservation or share goes through admission control and re-plans the siblings first, so a
// refused update changes nothing. Starts the CPU monitor when the update needs one.
void update_container(const std::string& id, const std::string& path, const ContainerSpec& changes);

}  // namespace vcrun::cgroup
