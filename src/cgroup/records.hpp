// What a container's launch made of cgroups, as its teardown record keeps it, and the JSON
// of each entry.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace vcrun::cgroup {

// The container's cgroup. `created` false: a linux.cgroupsPath cgroup that existed before
// the container, emptied on delete but kept.
struct MadeCgroup {
  std::string path;
  bool created = true;
};

// Directories made for a linux.cgroupsPath (missing parents, and the cgroup itself when it
// was missing), outermost first; each is removed on delete while it is empty.
struct MadeCgroupDirs {
  std::vector<std::string> dirs;
};

// The cgroup the runtime-side hooks (createRuntime, prestart, poststart, poststop) run in,
// so that what a hook leaves running goes with the container.
struct MadeHooksCgroup {
  std::string path;
};

// {"path": ..., "created": ...}, a list of directories, a path. from_json throws
// nlohmann::json::exception on a malformed entry.
void to_json(nlohmann::json& j, const MadeCgroup& c);
void from_json(const nlohmann::json& j, MadeCgroup& c);
void to_json(nlohmann::json& j, const MadeCgroupDirs& d);
void from_json(const nlohmann::json& j, MadeCgroupDirs& d);
void to_json(nlohmann::json& j, const MadeHooksCgroup& h);
void from_json(const nlohmann::json& j, MadeHooksCgroup& h);

}  // namespace vcrun::cgroup
