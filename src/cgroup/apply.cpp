// Applying LimitWrites to cgroupfs with errors that name the spec field.
#include "cgroup/apply.hpp"

#include <sys/stat.h>

#include <cstring>
#include <set>

#include "base/fs_util.hpp"
#include "vcrun/error.hpp"

namespace vcrun::cgroup {

std::vector<ControllerNeed> needs_of(const std::vector<LimitWrite>& writes, bool planner,
                                     const std::string& pfield) {
  std::vector<ControllerNeed> out;
  std::set<std::string> seen;
  for (const auto& w : writes)
    if (!w.controller.empty() && seen.insert(w.controller).second) out.push_back({w.controller, w.field});
  if (planner && seen.insert("cpu").second) out.push_back({"cpu", pfield});
  return out;
}

void apply_writes(const std::string& dir, const std::vector<LimitWrite>& writes) {
  for (const auto& w : writes) {
    std::string file = dir + "/" + w.file;
    struct stat st {};
    if (::lstat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      if (optional_file(w.file)) continue;
      std::string why = w.controller.empty()
                            ? "no such cgroup file"
                            : "no such file (is the " + w.controller + " controller enabled for " + dir + "?)";
      throw Error(w.field + ": cannot set " + w.file + ": " + why, ENOENT);
    }
    try {
      write_existing(file, w.value);
    } catch (const Error& e) {
      throw Error(w.field + ": writing \"" + w.value + "\" to " + file + " failed: " +
                      std::strerror(e.code()),
                  e.code());
    }
  }
}

PlanMember plan_member_for(const std::string& path, const ContainerSpec& spec) {
  PlanMember m;
  m.path = path;
  m.reservation = spec.vcrun.cpu_reservation.value_or(0.0);
  m.share = spec.vcrun.cpu_share.value_or(1.0);
  if (const auto& r = spec.linux.resources) {
    if (r->cpu && r->cpu->shares && *r->cpu->shares != 0) m.fixed_weight = true;
    if (r->cpu && r->cpu->idle && *r->cpu->idle) m.fixed_weight = true;
    if (r->unified.count("cpu.weight") || r->unified.count("cpu.weight.nice")) m.fixed_weight = true;
    if (r->cpu && ((r->cpu->quota && *r->cpu->quota != 0) || (r->cpu->period && *r->cpu->period != 0)))
      m.own_cpu_max = true;
    if (r->unified.count("cpu.max")) m.own_cpu_max = true;
  }
  return m;
}

std::string planner_field(const ContainerSpec& spec) {
  return spec.vcrun.cpu_reservation ? "vcrun.cpu.reservation" : "vcrun.cpu.share";
}

}  // namespace vcrun::cgroup
