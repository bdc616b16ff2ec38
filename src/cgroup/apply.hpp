// Writing planned limits into a cgroup directory, shared by create and update.
#pragma once

#include <string>
#include <vector>

#include "cgroup/cpu_planner.hpp"
#include "cgroup/hierarchy.hpp"
#include "cgroup/limits.hpp"
#include "vcrun/spec.hpp"

namespace vcrun::cgroup {

// Controllers the writes (and the CPU planner, when `planner`) need, each with a field.
std::vector<ControllerNeed> needs_of(const std::vector<LimitWrite>& writes, bool planner,
                                     const std::string& planner_field);

// Applies each write; a missing file becomes an error naming the field and the controller.
void apply_writes(const std::string& dir, const std::vector<LimitWrite>& writes);

// The planner's view of a spec: r, s and whether the spec fixes cpu.weight / cpu.max itself.
PlanMember plan_member_for(const std::string& path, const ContainerSpec& spec);

// The field to blame for the planner's needs ("vcrun.cpu.reservation" or "vcrun.cpu.share").
std::string planner_field(const ContainerSpec& spec);

}  // namespace vcrun::cgroup
