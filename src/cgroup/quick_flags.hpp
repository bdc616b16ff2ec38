// Quick-mode resource flags (`vcrun run --cpus 1.5 --memory 512M ...`, `vcrun update`):
// parsing of sizes/fractions and their translation into the ContainerSpec fields.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "vcrun/spec.hpp"

namespace vcrun::cgroup {

// Raw flag text as the user typed it; empty = not given. Parsed by apply_quick_flags so
// that every error names the flag.
struct QuickResourceFlags {
  std::string cpu_reserve;     // --cpu-reserve 0.25   -> vcrun.cpu.reservation
  std::string cpu_fair_share;  // --cpu-fair-share 2   -> vcrun.cpu.share
  std::string cpus;            // --cpus 1.5           -> cpu.quota/period (1.5 CPUs)
  std::string cpuset;          // --cpuset 0-1         -> cpu.cpus
  std::string memory;          // --memory 512M        -> memory.limit
  std::string memory_reserve;  // --memory-reserve 128M -> memory.reservation
  std::string pids;            // --pids 256           -> pids.limit
  std::string io_weight;       // --io-weight 200      -> blockIO.weight (10..1000)
  // runc's `update` flags (vcrun update only), with runc's meanings. `--cpu-share` is
  // runc's cpu.shares, not vcrun's fair share (that one is `--cpu-fair-share`).
  std::string cpu_shares;          // --cpu-share 512       -> cpu.shares (2..262144)
  std::string cpu_quota;           // --cpu-quota 50000     -> cpu.quota (-1: unlimited)
  std::string cpu_period;          // --cpu-period 100000   -> cpu.period
  std::string cpuset_cpus;         // --cpuset-cpus 0-1     -> cpu.cpus
  std::string cpuset_mems;         // --cpuset-mems 0       -> cpu.mems
  std::string memory_reservation;  // --memory-reservation  -> memory.reservation
  std::string memory_swap;         // --memory-swap 1G      -> memory.swap (memory plus swap)
  std::string pids_limit;          // --pids-limit 100      -> pids.limit
  std::string blkio_weight;        // --blkio-weight 500    -> blockIO.weight

  bool empty() const;
};

// Sets the spec fields for every given flag, then runs create's resource validation
// (validate_resources) over the result. Throws SpecError("--memory", "...") and the like:
// malformed values and out-of-range ones name the flag that set the field.
void apply_quick_flags(ContainerSpec& spec, const QuickResourceFlags& flags);

// "512M", "1G", "1.5g", "4096", "64k", "max"/"-1" (= -1): bytes. Binary units (K = 1024).
int64_t parse_size(const std::string& flag, const std::string& text);
// A finite decimal number within [lo, hi].
double parse_fraction(const std::string& flag, const std::string& text, double lo, double hi);

}  // namespace vcrun::cgroup
