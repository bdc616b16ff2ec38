// Removing a container whose state.json is unreadable: its cgroup from config.json or id,
// and its hooks cgroup.
#include "runtime/state/unreadable.hpp"

#include <spdlog/spdlog.h>

#include "cgroup/container_cgroup.hpp"
#include "cgroup/hierarchy.hpp"
#include "cgroup/hooks_cgroup.hpp"
#include "net/policy/bridge.hpp"
#include "net/policy/shaping.hpp"
#include "runtime/state/record_check.hpp"
#include "vcrun/error.hpp"

namespace vcrun {

void destroy_unreadable(const state::Store& store, const std::string& id, const std::string& why) {
  spdlog::warn("container {}: {}; removing its processes, cgroup and state directory", id, why);
  std::string cgroups_path = state::stored_cgroups_path(store, id);
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
