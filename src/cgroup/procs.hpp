// The processes of a cgroup tree: cgroup.procs of a cgroup and of every cgroup below it.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace vcrun::cgroup {

// The cgroup directories right below `dir`; none when it cannot be listed (removed
// meanwhile).
std::vector<std::string> child_cgroups(const std::string& dir);
// `dir` and every cgroup directory below it, each before its children.
std::vector<std::string> cgroup_tree(const std::string& dir);

// The pids in `dir`'s cgroup.procs; nullopt when the cgroup is gone (ENOENT). Other read
// errors throw.
std::optional<std::vector<pid_t>> read_procs(const std::string& dir);

// Every process in `dir`'s tree, the cgroup's own first (exec --cgroup puts some below);
// a cgroup removed while walked contributes nothing.
std::vector<pid_t> tree_pids(const std::string& dir);

}  // namespace vcrun::cgroup
