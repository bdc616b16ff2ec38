// CLI11 options for ResourceFlags, shared by `vcrun run` and `vcrun update`.
#pragma once

#include <CLI/CLI.hpp>

#include "vcrun/quick.hpp"

namespace vcrun {

inline void add_resource_flag_options(CLI::App& app, ResourceFlags& f) {
  const char* g = "Resources";
  app.add_option("--cpu-reserve", f.cpu_reserve, "CPU reservation: fraction 0..1 of all containers' CPU")->group(g);
  app.add_option("--cpu-fair-share", f.cpu_fair_share,
                 "CPU share of the unreserved CPU (default 1; 0: capped reservation)")->group(g);
  app.add_option("--cpus", f.cpus, "CPU cap in CPUs (cpu.max), e.g. 1.5")->group(g);
  app.add_option("--cpuset", f.cpuset, "CPUs the container may run on, e.g. 0-1,3")->group(g);
  app.add_option("--memory", f.memory, "memory limit (memory.max), e.g. 512M")->group(g);
  app.add_option("--memory-reserve", f.memory_reserve, "memory reservation (memory.low), e.g. 128M")->group(g);
  app.add_option("--pids", f.pids, "maximum number of processes (pids.max)")->group(g);
  app.add_option("--io-weight", f.io_weight, "block IO weight 10..1000 (io.weight)")->group(g);
  // An empty value would read as "not given", which for an allowlist means no restriction.
  app.add_option("--bind-allow", f.bind_allow,
                 "addresses the container may bind, ADDR[,ADDR...] (IPv4/IPv6; a wildcard bind gets the first; "
                 "none: no address)")
      ->check([](const std::string& v) { return v.empty() ? std::string("give ADDR[,ADDR...] or none") : std::string(); })
      ->group("Network");
  app.add_option("--net-rate", f.net_rate,
                 "egress bandwidth reserved on an HTB class, as tc writes rates (10mbit, 1gbit, 500kbps)")
      ->group("Network");
  app.add_option("--net-ceil", f.net_ceil, "the most egress bandwidth it may use (default: the link rate; "
                                           "with --net-share 0: --net-rate)")->group("Network");
  app.add_option("--net-share", f.net_share,
                 "its weight for the bandwidth reservations leave free, 0..1000 (default 1; 0: capped at --net-rate)")
      ->group("Network");
}

// runc's `update` flags, with runc's meanings (values as runc takes them; sizes may also
// carry a unit, e.g. 512M). `vcrun update` only: `runc run` has none of them.
inline void add_runc_update_options(CLI::App& app, ResourceFlags& f) {
  const char* g = "runc-compatible resources";
  app.add_option("--cpu-share", f.cpu_shares, "CPU shares 2..262144 (cgroup v1 units; cpu.weight by crun's curve)")
      ->group(g);
  app.add_option("--cpu-quota", f.cpu_quota, "CPU CFS quota in microseconds per period (-1: unlimited)")->group(g);
  app.add_option("--cpu-period", f.cpu_period, "CPU CFS period in microseconds")->group(g);
  app.add_option("--cpuset-cpus", f.cpuset_cpus, "CPUs the container may run on, e.g. 0-1,3")->group(g);
  app.add_option("--cpuset-mems", f.cpuset_mems, "memory nodes the container may use, e.g. 0")->group(g);
  app.add_option("--memory-reservation", f.memory_reservation, "memory reservation (memory.low)")->group(g);
  app.add_option("--memory-swap", f.memory_swap, "memory plus swap limit (-1: unlimited swap)")->group(g);
  app.add_option("--pids-limit", f.pids_limit, "maximum number of processes (pids.max)")->group(g);
  app.add_option("--blkio-weight", f.blkio_weight, "block IO weight 10..1000")->group(g);
}

}  // namespace vcrun
