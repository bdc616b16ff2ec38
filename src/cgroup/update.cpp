// Live limit changes: the same conversions as create, merged with the planner's state.
#include "cgroup/update.hpp"

#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "cgroup/apply.hpp"
#include "cgroup/cpu_monitor.hpp"
#include "cgroup/cpu_planner.hpp"
#include "cgroup/hierarchy.hpp"
#include "cgroup/limits.hpp"
#include "runtime/spec_json.hpp"
#include "runtime/spec_validate.hpp"
#include "vcrun/error.hpp"

namespace vcrun::cgroup {

void update_container(const std::string& state_root, const std::string& id, const std::string& path,
                      const ContainerSpec& changes) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0)
    throw Error("container " + id + " has no cgroup (" + (path.empty() ? "none recorded" : path) + ")", ENOENT);

  auto writes = plan_limits(changes);
  bool planner = uses_cpu_planner(changes);
  auto current = plan_store::find(state_root, path).value_or(PlanMember{path});
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
    throw SpecError("--cpus", "container " + id + " has a capped reservation, which sets cpu.max itself");

  prepare_path(path, needs_of(writes, planner, planner_field(changes)), {});
  // Admission first: a refused reservation must leave every limit as it was.
  if (planner || wanted.fixed_weight || wanted.own_cpu_max) plan_store::upsert(state_root, next);
  apply_writes(path, writes);
  spdlog::debug("{}: updated {} limits in {}", id, writes.size(), path);
  if (planner) start_cpu_monitor(state_root, id, path);
}

void load_resources_json(ContainerSpec& spec, const std::string& json_text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::parse_error& e) {
    throw SpecError("resources", std::string("malformed JSON: ") + e.what());
  }
  spec_detail::Node node(j, "resources");
  node.expect_object();
  spec.linux.resources = spec_detail::parse_resources(node);
  spec_detail::validate_resources(*spec.linux.resources);
}

}  // namespace vcrun::cgroup
