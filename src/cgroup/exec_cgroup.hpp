// exec --cgroup: the sub-cgroup of a container's cgroup that an exec'd process starts in.
#pragma once

#include <string>
#include <vector>

#include "base/fd.hpp"

namespace vcrun {

// The path runc's `--cgroup [CONTROLLER[,CONTROLLER]:]PATH` arguments name ("" for none),
// validated as runc does; on cgroup v2 every argument must name the same path.
// Throws SpecError("ExecOptions.cgroup", ...).
std::string exec_cgroup_path(const std::vector<std::string>& args);

// Opens `sub` (relative to the container's cgroup directory `container_cgroup`; a leading
// "/" means the same) as an O_PATH directory fd, never leaving that directory: "..",
// symlinks and other mounts are refused (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
// RESOLVE_NO_XDEV). The sub-cgroup must exist, as with runc.
UniqueFd open_exec_cgroup(const std::string& container_cgroup, const std::string& sub);

}  // namespace vcrun
