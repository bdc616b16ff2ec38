// Resolving container ids to cgroups (state store) for update/pause/resume/stats.
#include "cgroup/container_ops.hpp"

#include "cgroup/freezer.hpp"
#include "cgroup/update.hpp"
#include "runtime/state/state.hpp"
#include "vcrun/error.hpp"

namespace vcrun::cgroup {

namespace {

state::ContainerState live(const state::Store& store, const std::string& id, const char* verb) {
  state::Store::validate_id(id);
  auto st = store.load(id);
  auto status = state::current_status(st);
  if (status == state::Status::stopped || status == state::Status::creating)
    throw Error(std::string("cannot ") + verb + " container " + id + ": it is " + state::status_name(status),
                EINVAL);
  if (st.cgroup_path.empty()) throw Error("container " + id + " has no cgroup", ENOENT);
  return st;
}

}  // namespace

void update_by_id(const std::string& state_root, const std::string& id, const ContainerSpec& changes) {
  state::Store store(state_root);
  auto lock = store.lock(id);
  auto st = live(store, id, "update");
  update_container(state_root, id, st.cgroup_path, changes);
}

void pause_by_id(const std::string& state_root, const std::string& id) {
  state::Store store(state_root);
  auto lock = store.lock(id);
  auto st = live(store, id, "pause");
  if (state::current_status(st) == state::Status::paused)
    throw Error("container " + id + " is already paused", EINVAL);
  set_frozen(st.cgroup_path, true);
}

void resume_by_id(const std::string& state_root, const std::string& id) {
  state::Store store(state_root);
  auto lock = store.lock(id);
  auto st = live(store, id, "resume");
  if (state::current_status(st) != state::Status::paused)
    throw Error("container " + id + " is not paused", EINVAL);
  set_frozen(st.cgroup_path, false);
}

std::vector<Stats> stats_by_ids(const std::string& state_root, std::vector<std::string> ids) {
  state::Store store(state_root);
  if (ids.empty()) ids = store.list();
  std::vector<std::pair<std::string, std::string>> targets;
  for (const auto& id : ids) {
    state::Store::validate_id(id);
    auto st = store.load(id);
    targets.emplace_back(id, st.cgroup_path);
  }
  return sample_stats(targets);
}

}  // namespace vcrun::cgroup
