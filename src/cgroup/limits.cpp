// linux.resources + vcrun.memory -> cgroup v2 file writes, with crun/runc's conversions.
#include "cgroup/limits.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "vcrun/error.hpp"

namespace vcrun::cgroup {

namespace {

const std::string R = "linux.resources.";

std::string num(int64_t v) { return std::to_string(v); }
// -1 means "unlimited" in OCI; cgroup v2 spells that "max".
std::string num_or_max(int64_t v) { return v < 0 ? "max" : std::to_string(v); }

std::string devnum(int64_t major, int64_t minor) {
  return std::to_string(major) + ":" + std::to_string(minor);
}

void cpu_writes(const ContainerSpec& spec, const CpuResources& c, std::vector<LimitWrite>& out) {
  const std::string f = R + "cpu.";
  if (c.realtime_runtime && *c.realtime_runtime != 0)
    throw SpecError(f + "realtimeRuntime", "realtime CPU scheduling groups do not exist in cgroup v2");
  if (c.realtime_period && *c.realtime_period != 0)
    throw SpecError(f + "realtimePeriod", "realtime CPU scheduling groups do not exist in cgroup v2");
  bool planner = uses_cpu_planner(spec);
  if (c.shares && *c.shares != 0) {
    if (planner)
      throw SpecError(f + "shares", "conflicts with vcrun.cpu (the planner computes cpu.weight)");
    if (c.idle && *c.idle) throw SpecError(f + "shares", "conflicts with linux.resources.cpu.idle");
    out.push_back({"cpu.weight", std::to_string(shares_to_weight(*c.shares)), f + "shares", "cpu"});
  }
  bool has_quota = c.quota && *c.quota != 0;
  bool has_period = c.period && *c.period != 0;
  if (has_quota || has_period) {
    bool capped = spec.vcrun.cpu_share && *spec.vcrun.cpu_share == 0 && spec.vcrun.cpu_reservation &&
                  *spec.vcrun.cpu_reservation > 0;
    if (capped)
      throw SpecError(f + "quota",
                      "conflicts with vcrun.cpu.share 0 (a capped reservation sets cpu.max itself)");
    std::string quota = has_quota ? num_or_max(*c.quota) : "max";
    uint64_t period = has_period ? *c.period : 100000;
    out.push_back({"cpu.max", quota + " " + std::to_string(period),
                   f + (has_quota ? "quota" : "period"), "cpu"});
  }
  if (c.burst && *c.burst != 0)
    out.push_back({"cpu.max.burst", std::to_string(*c.burst), f + "burst", "cpu"});
  if (c.idle) out.push_back({"cpu.idle", *c.idle ? "1" : "0", f + "idle", "cpu"});
  if (!c.cpus.empty()) out.push_back({"cpuset.cpus", c.cpus, f + "cpus", "cpuset"});
  if (!c.mems.empty()) out.push_back({"cpuset.mems", c.mems, f + "mems", "cpuset"});
}

void memory_writes(const MemoryResources& m, std::vector<LimitWrite>& out) {
  const std::string f = R + "memory.";
  if (m.kernel && *m.kernel != 0)
    throw SpecError(f + "kernel", "kernel memory limits do not exist in cgroup v2 (use memory.limit)");
  if (m.kernel_tcp && *m.kernel_tcp != 0)
    throw SpecError(f + "kernelTCP", "kernel TCP memory limits do not exist in cgroup v2");
  if (m.swappiness)
    throw SpecError(f + "swappiness", "cgroup v2 has no per-cgroup swappiness");
  if (m.disable_oom_killer && *m.disable_oom_killer)
    throw SpecError(f + "disableOOMKiller", "cgroup v2 cannot disable the OOM killer for a cgroup");
  // 0 is "unset" for the limit (runc): memory.max 0 would OOM-kill the container at once.
  bool limited = m.limit && *m.limit > 0;
  if (m.limit && *m.limit != 0) out.push_back({"memory.max", num_or_max(*m.limit), f + "limit", "memory"});
  if (m.reservation && *m.reservation != 0)
    out.push_back({"memory.low", num_or_max(*m.reservation), f + "reservation", "memory"});
  if (m.swap && *m.swap != 0) {
    // OCI's swap is memory+swap (the v1 memsw counter); v2 limits swap alone.
    std::string value;
    if (*m.swap < 0) {
      value = "max";
    } else if (!limited) {
      throw SpecError(f + "swap", "a swap limit needs memory.limit (OCI swap counts memory plus swap)");
    } else {
      if (*m.swap < *m.limit)
        throw SpecError(f + "swap", "must be at least memory.limit (it counts memory plus swap)");
      value = num(*m.swap - *m.limit);
    }
    out.push_back({"memory.swap.max", value, f + "swap", "memory"});
  }
}

void io_writes(const BlockIoResources& b, std::vector<LimitWrite>& out) {
  const std::string f = R + "blockIO.";
  if (b.leaf_weight && *b.leaf_weight != 0)
    throw SpecError(f + "leafWeight", "cgroup v2 has no leaf weights");
  // io.weight is iocost's; BFQ reads io.bfq.weight (1..1000: the OCI weight as it is),
  // written where the kernel has BFQ.
  if (b.weight && *b.weight != 0) {
    out.push_back({"io.weight", "default " + std::to_string(blkio_weight_to_io_weight(*b.weight)),
                   f + "weight", "io"});
    out.push_back({"io.bfq.weight", "default " + std::to_string(blkio_weight_to_bfq_weight(*b.weight)), f + "weight", "io"});
  }
  for (size_t i = 0; i < b.weight_device.size(); ++i) {
    const auto& d = b.weight_device[i];
    std::string field = f + "weightDevice[" + std::to_string(i) + "]";
    if (d.leaf_weight && *d.leaf_weight != 0)
      throw SpecError(field + ".leafWeight", "cgroup v2 has no leaf weights");
    if (d.weight && *d.weight != 0) {
      out.push_back({"io.weight",
                     devnum(d.major, d.minor) + " " + std::to_string(blkio_weight_to_io_weight(*d.weight)),
                     field + ".weight", "io"});
      out.push_back({"io.bfq.weight", devnum(d.major, d.minor) + " " + std::to_string(blkio_weight_to_bfq_weight(*d.weight)),
                     field + ".weight", "io"});
    }
  }
  const std::tuple<const char*, const char*, const std::vector<ThrottleDevice>*> lists[] = {
      {"throttleReadBpsDevice", "rbps", &b.throttle_read_bps},
      {"throttleWriteBpsDevice", "wbps", &b.throttle_write_bps},
      {"throttleReadIOPSDevice", "riops", &b.throttle_read_iops},
      {"throttleWriteIOPSDevice", "wiops", &b.throttle_write_iops},
  };
  for (const auto& [name, key, list] : lists)
    for (size_t i = 0; i < list->size(); ++i) {
      const auto& d = (*list)[i];
      // io.max takes 0 as "no limit" badly (it rejects it); OCI tools mean "unlimited".
      std::string v = d.rate == 0 ? "max" : std::to_string(d.rate);
      out.push_back({"io.max", devnum(d.major, d.minor) + " " + key + "=" + v,
                     f + name + "[" + std::to_string(i) + "]", "io"});
    }
}

}  // namespace

uint64_t shares_to_weight(uint64_t shares) {
  // crun >= 1.23 (containers/crun PR #1767, src/libcrun/cgroup-internal.h
  // convert_shares_to_weight; runc >= 1.3.2 uses the same curve): a quadratic in log2 space
  // that maps the v1 default 1024 to the v2 default 100 and keeps 2 -> 1, 262144 -> 10000:
  //   weight = ceil(10^((l^2 + 125 l) / 612 - 7/34)),  l = log2(shares).
  // The older linear 1 + (shares - 2) * 9999 / 262142 gave 1024 -> 39.
  if (shares == 0) return 0;
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  double l = std::log2(static_cast<double>(shares));
  // 7/34 == 126/612: one fraction keeps 1024 -> exactly 10^2.
  double exponent = (l * l + 125.0 * l - 126.0) / 612.0;
  double w = std::ceil(std::pow(10.0, exponent) - 1e-9);
  if (w < 1) return 1;
  if (w > 10000) return 10000;
  return static_cast<uint64_t>(w);
}

uint64_t blkio_weight_to_bfq_weight(uint64_t weight) { return std::clamp<uint64_t>(weight, 1, 1000); }

bool optional_file(const std::string& file) { return file == "io.bfq.weight"; }

uint64_t blkio_weight_to_io_weight(uint64_t weight) {
  if (weight == 0) return 0;
  if (weight < 10) weight = 10;
  if (weight > 1000) weight = 1000;
  return 1 + (weight - 10) * 9999 / 990;
}

std::string controller_of_file(const std::string& file) {
  auto dot = file.find('.');
  std::string prefix = dot == std::string::npos ? file : file.substr(0, dot);
  return prefix == "cgroup" ? "" : prefix;
}

void check_unified_key(const std::string& key) {
  const std::string field = R + "unified[\"" + key + "\"]";
  if (key.empty() || key.find('/') != std::string::npos || key.find("..") != std::string::npos ||
      key.find('\0') != std::string::npos)
    throw SpecError(field, "must be a plain cgroup file name (no \"/\" or \"..\")");
  auto dot = key.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == key.size())
    throw SpecError(field, "invalid cgroup file name (expected \"<controller>.<file>\")");
  // These files move processes or create structure: the runtime owns them.
  static const char* reserved[] = {"cgroup.procs", "cgroup.threads", "cgroup.subtree_control",
                                   "cgroup.kill", "cgroup.freeze", "cgroup.type"};
  for (const char* r : reserved)
    if (key == r) throw SpecError(field, "is managed by vcrun and cannot be set here");
}

bool uses_cpu_planner(const ContainerSpec& spec) {
  return spec.vcrun.cpu_reservation.has_value() || spec.vcrun.cpu_share.has_value();
}

std::vector<LimitWrite> plan_limits(const ContainerSpec& spec) {
  std::vector<LimitWrite> out;
  if (const auto& res = spec.linux.resources) {
    if (res->cpu) cpu_writes(spec, *res->cpu, out);
    if (res->memory) memory_writes(*res->memory, out);
    if (res->pids_limit && *res->pids_limit != 0)
      out.push_back({"pids.max", num_or_max(*res->pids_limit), R + "pids.limit", "pids"});
    if (res->block_io) io_writes(*res->block_io, out);
    for (size_t i = 0; i < res->hugepage_limits.size(); ++i) {
      const auto& h = res->hugepage_limits[i];
      out.push_back({"hugetlb." + h.page_size + ".max", std::to_string(h.limit),
                     R + "hugepageLimits[" + std::to_string(i) + "]", "hugetlb"});
    }
  }
  const std::string v = "vcrun.memory.";
  if (spec.vcrun.memory_high)
    out.push_back({"memory.high", num_or_max(*spec.vcrun.memory_high), v + "high", "memory"});
  if (spec.vcrun.memory_min)
    out.push_back({"memory.min", num(*spec.vcrun.memory_min), v + "min", "memory"});
  // The unified map comes last so that it can refine anything above, as in crun.
  if (const auto& res = spec.linux.resources) {
    for (const auto& [key, value] : res->unified) {
      check_unified_key(key);
      if (key == "cpu.weight" && uses_cpu_planner(spec))
        throw SpecError(R + "unified[\"cpu.weight\"]", "conflicts with vcrun.cpu (the planner computes it)");
      out.push_back({key, value, R + "unified[\"" + key + "\"]", controller_of_file(key)});
    }
  }
  return out;
}

}  // namespace vcrun::cgroup
