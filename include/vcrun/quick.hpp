// Quick mode: a container config built from command-line flags instead of a bundle, and
// the resource flags `vcrun run` and `vcrun update` share.
#pragma once

#include <string>
#include <vector>

#include "vcrun/spec.hpp"

namespace vcrun {

// Raw flag text as the user typed it; empty = not given. Parsed by apply_resource_flags,
// whose errors name the spec field each one sets (a CLI names its flag: cmd/vcrun's table).
struct ResourceFlags {
  std::string cpu_reserve;     // --cpu-reserve 0.25   -> vcrun.cpu.reservation
  std::string cpu_fair_share;  // --cpu-fair-share 2   -> vcrun.cpu.share
  std::string cpus;            // --cpus 1.5           -> cpu.quota/period (1.5 CPUs)
  std::string cpuset;          // --cpuset 0-1         -> cpu.cpus
  std::string memory;          // --memory 512M        -> memory.limit
  std::string memory_reserve;  // --memory-reserve 128M -> memory.reservation
  std::string pids;            // --pids 256           -> pids.limit
  std::string io_weight;       // --io-weight 200      -> blockIO.weight (10..1000)
  std::string bind_allow;      // --bind-allow 10.0.0.5,fd00::5 -> vcrun.network.bindAllow ("none": [])
  std::string net_rate;        // --net-rate 10mbit    -> vcrun.network.rate (tc's units)
  std::string net_ceil;        // --net-ceil 100mbit   -> vcrun.network.ceil
  std::string net_share;       // --net-share 2        -> vcrun.network.share (0..1000)
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
// (validate_resources) over the result. Throws SpecError("linux.resources.memory.limit",
// "...") and the like: malformed values and out-of-range ones name the field the flag sets.
void apply_resource_flags(ContainerSpec& spec, const ResourceFlags& flags);

struct QuickOptions {
  std::vector<std::string> args;
  std::string rootfs;    // empty: the host's "/" under a private overlay
  std::string upper;     // --upper: a persistent overlay upper (vcrun.upper) over the root
  std::string hostname;  // empty: the container id
  std::string cwd;
  std::vector<std::string> env;      // KEY=VALUE
  std::vector<std::string> volumes;  // SRC:DST[:ro]
  std::string net;  // --net none|host|bridge: own network namespace (""/none), the caller's,
                    // or own with a veth to a host bridge (vcrun.network)
  std::string ip;   // --ip ADDR: bridge mode's address (vcrun.network.ip)
  std::vector<std::string> publish;  // -p HOSTPORT:PORT: bridge mode (vcrun.network.publish)
  std::string net_egress;     // --net-egress DEV: the device to shape (vcrun.network.egress)
  std::string net_link_rate;  // --net-link-rate RATE: its rate for admission (vcrun.network.linkRate)
  bool init = false;
  bool terminal = false;
  ResourceFlags resources;  // --memory, --cpus, --cpu-reserve, --bind-allow, ...
};

// The config.json of a quick-mode container: the default spec (`vcrun spec`) with the
// flags applied. `root_path` is where the root is mounted when rootfs is empty.
// Errors are SpecErrors naming the field or the option ("QuickOptions.volumes", ...).
std::string quick_config(const std::string& id, const QuickOptions& q,
                         const std::string& root_path);

}  // namespace vcrun
