// Undoing a container whose state.json is unreadable (undo.hpp): its cgroup from config.json
// or id, its hooks cgroup, and the HTB classes and leases whose ledgers name its holder.
#include <spdlog/spdlog.h>

#include "cgroup/container_cgroup.hpp"
#include "cgroup/hierarchy.hpp"
#include "cgroup/hooks_cgroup.hpp"
#include "net/policy/bridge.hpp"
#include "net/policy/shaping.hpp"
#include "runtime/teardown/undo.hpp"
#include "vcrun/error.hpp"

namespace vcrun::teardown {

void undo_unreadable(const Subject& s, const std::string& why) {
  const std::string& id = s.id;
  spdlog::warn("container {}: {}; removing its processes, cgroup and state directory", id, why);
  std::string cgroups_path = s.cgroups_path;
  std::string dir;
  try {
    dir = cgroup::container_dir(cgroups_path, s.holder);
  } catch (const Error& e) {
    if (cgroups_path.empty()) throw;  // no cgroup2 hierarchy: nothing vcrun could have made
    spdlog::warn("container {}: {}: looking under vcrun's default parent only", id, e.what());
    cgroups_path.clear();
    dir = cgroup::container_dir("", s.holder);
  }
  // A linux.cgroupsPath cgroup may have existed before the container: emptied, kept.
  bool own = cgroups_path.empty();
  cgroup::destroy(dir, own);
  cgroup::destroy(cgroup::hooks_dir(s.holder));  // what its hooks left running
  if (!own) spdlog::warn("container {}: kept cgroup {} (emptied): the state saying who made it is lost", id, dir);
  net::detach_all_shaping(s.holder);  // the class ledger names its holder
  net::detach_all(s.holder);          // bridge mode: the leases name their holder
  s.remove_state();
}

}  // namespace vcrun::teardown
