// Live limit changes: the same conversions as create, merged with the planner's state.
#include "cgroup/update.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <optional>
#include <sstream>

#include <spdlog/spdlog.h>

#include "base/fs_util.hpp"
#include "cgroup/apply.hpp"
#include "cgroup/cpu_monitor.hpp"
#include "cgroup/cpu_planner.hpp"
#include "cgroup/hierarchy.hpp"
#include "cgroup/io_weight.hpp"
#include "cgroup/limits.hpp"
#include "vcrun/error.hpp"

namespace vcrun::cgroup {

namespace {

// As runc does, a lone quota or period keeps the other half of cpu.max, and a swap limit
// without a memory limit counts against the current memory.max (OCI swap is memory plus
// swap). Fields the caller set win.
void merge_current(const std::string& path, ContainerSpec& changes) {
  if (!changes.linux.resources) return;
  auto& r = *changes.linux.resources;
  if (r.cpu && (r.cpu->quota.has_value() != r.cpu->period.has_value())) {
    if (auto text = try_read_file(path + "/cpu.max")) {
      std::istringstream in(*text);
      std::string quota;
      uint64_t period = 0;
      if (in >> quota >> period) {
        if (!r.cpu->period) r.cpu->period = period;
        if (!r.cpu->quota) r.cpu->quota = quota == "max" ? -1 : std::strtoll(quota.c_str(), nullptr, 10);
      }
    }
  }
  if (r.memory && r.memory->swap && *r.memory->swap > 0 && !r.memory->limit) {
    if (auto text = try_read_file(path + "/memory.max"); text && text->rfind("max", 0) != 0)
      r.memory->limit = std::strtoll(text->c_str(), nullptr, 10);
  }
}

}  // namespace

void update_container(const std::string& id, const std::string& path, const ContainerSpec& requested) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0)
    throw Error("container " + id + " has no cgroup (" + (path.empty() ? "none recorded" : path) + ")", ENOENT);
  ContainerSpec changes = requested;
  merge_current(path, changes);

  auto writes = plan_limits(changes);
  bool planner = uses_cpu_planner(changes);
  auto current = plan_store::find(path).value_or(PlanMember{path});
  auto wanted = plan_member_for(path, changes);
  PlanMember next = current;
  next.path = path;
  if (changes.vcrun.cpu_reservation) next.reservation = *changes.vcrun.cpu_reservation;
  if (changes.vcrun.cpu_share) next.share = *changes.vcrun.cpu_share;
  next.fixed_weight = current.fixed_weight || wanted.fixed_weight;
  next.own_cpu_max = current.own_cpu_max || wanted.own_cpu_max;
  if (planner && current.fixed_weight)
    throw SpecError(planner_field(changes), "container " + id + " has a fixed cpu.weight (OCI cpu.shares), "
                                            "which the planner does not override");
  bool capped = next.share <= 0 && next.reservation > 0;
  if (capped && wanted.own_cpu_max)
    throw SpecError("linux.resources.cpu.quota", "container " + id + " has a capped reservation, which sets cpu.max itself");

  prepare_path(path, needs_of(writes, planner, planner_field(changes)), {});
  // Admission first: a refused reservation must leave every limit as it was.
  if (planner || wanted.fixed_weight || wanted.own_cpu_max) plan_store::upsert(next);
  apply_writes(path, writes);
  warn_if_weight_ignored(writes);
  spdlog::debug("{}: updated {} limits in {}", id, writes.size(), path);
  if (planner) start_cpu_monitor(id, path);
}

}  // namespace vcrun::cgroup
