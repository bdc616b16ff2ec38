// Removing a container whose state.json is unreadable: its cgroup from config.json or id,
// and its hooks cgroup.
#include "runtime/state/unreadable.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "base/fs_util.hpp"
#include "cgroup/container_cgroup.hpp"
#include "cgroup/hierarchy.hpp"
#include "cgroup/hooks_cgroup.hpp"
#include "netfilter/bridge.hpp"
#include "netfilter/shaping.hpp"
#include "vcrun/error.hpp"

namespace vcrun {

namespace {

// linux.cgroupsPath of the stored config.json; "" when it has none or cannot be read.
std::string stored_cgroups_path(const state::Store& store, const std::string& id) {
  try {
    auto j = nlohmann::json::parse(read_file(store.dir(id) + "/config.json"));
    auto linux = j.find("linux");
    if (linux != j.end() && linux->is_object()) {
      auto path = linux->find("cgroupsPath");
      if (path != linux->end() && path->is_string()) return path->get<std::string>();
    }
  } catch (const std::exception& e) {
    spdlog::warn("container {}: config.json unreadable ({}): looking for its cgroup under vcrun's default parent only",
                 id, e.what());
  }
  return "";
}

}  // namespace

void destroy_unreadable(const state::Store& store, const std::string& id, const std::string& why) {
  spdlog::warn("container {}: {}; removing its processes, cgroup and state directory", id, why);
  std::string cgroups_path = stored_cgroups_path(store, id);
  std::string dir;
  try {
    dir = cgroup::container_dir(cgroups_path, store.cgroup_name(id));
  } catch (const Error& e) {
    if (cgroups_path.empty()) throw;  // no cgroup2 hierarchy: nothing vcrun could have made
    spdlog::warn("container {}: {}: looking under vcrun's default parent only", id, e.what());
    cgroups_path.clear();
    dir = cgroup::container_dir("", store.cgroup_name(id));
  }
  // A linux.cgroupsPath cgroup may have existed before the container: emptied, kept.
  bool own = cgroups_path.empty();
  cgroup::destroy(dir, own);
  cgroup::destroy(cgroup::hooks_dir(store.cgroup_name(id)));  // what its hooks left running
  if (!own) spdlog::warn("container {}: kept cgroup {} (emptied): the state saying who made it is lost", id, dir);
  net::detach_all_shaping(store.cgroup_name(id));  // the class ledger names its holder
  net::detach_all(store.cgroup_name(id));          // bridge mode: the leases name their holder
  store.remove(id);
}

}  // namespace vcrun
