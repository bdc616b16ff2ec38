// Conversion of a spec's resource limits (OCI linux.resources + vcrun extensions) into
// cgroup v2 file writes. Pure: no file system access, so every conversion is unit-tested.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vcrun/spec.hpp"

namespace vcrun::cgroup {

// One write into the container's cgroup directory.
struct LimitWrite {
  std::string file;        // "memory.max"
  std::string value;       // "536870912"
  std::string field;       // "linux.resources.memory.limit": what the user wrote
  std::string controller;  // "memory"; empty for core files (cgroup.*)
};

// OCI cpu.shares (2..262144, 1024 default) to cpu.weight (1..10000, 100 default); 0: unset.
uint64_t shares_to_weight(uint64_t shares);
// OCI blockIO weight (10..1000) to io.weight (1..10000), linear as runc and crun do.
uint64_t blkio_weight_to_io_weight(uint64_t weight);
// OCI blockIO weight to io.bfq.weight (1..1000, BFQ's own file): the same number.
uint64_t blkio_weight_to_bfq_weight(uint64_t weight);
// Whether a write to `file` is skipped where the kernel lacks it (io.bfq.weight without
// BFQ) instead of failing.
bool optional_file(const std::string& file);

// All writes for the spec's static limits, in the order they must be applied (cpuset.cpus
// before cpuset.mems users, memory.max before memory.swap.max...). The CPU planner's
// cpu.weight / cpu.max for vcrun.cpu.* are NOT included (see cpu_planner.hpp). Throws
// SpecError for limits cgroup v2 cannot express (realtime CPU, kernel memory, swappiness,
// disable_oom_killer, leaf weights) and for conflicting fields.
std::vector<LimitWrite> plan_limits(const ContainerSpec& spec);

// The controller a cgroup file belongs to ("memory.high" -> "memory", "cgroup.x" -> "").
std::string controller_of_file(const std::string& file);

// Pure: validates a linux.resources.unified key (a plain file name, never a path).
void check_unified_key(const std::string& key);

// True when the spec asks the CPU planner for anything (vcrun.cpu.reservation/share).
bool uses_cpu_planner(const ContainerSpec& spec);

}  // namespace vcrun::cgroup
