// Egress shaping of one container (the paper's §3.2.2): a leaf class in vcrun's HTB tree on
// the egress device (htb.hpp), the rules tagging the container's packets with it
// (classify.hpp), admission of its reservation against the link rate, and undoing it.
//
// Shared state of the network namespace (like the devices, it is not a state root's), under
// the lease lock (leases.hpp), in <its lease directory>.shaping:
//   <device>/link-rate     the link rate (bits/s) the tree was made with
//   <device>/made-qdisc    vcrun made the HTB root (marked before making it)
//   <device>/<minor, hex>  "<holder> <reserved bits/s> <share> <ceil>": a class and its holder,
//                          the container's cgroup name (unique across roots)
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "net/state/records.hpp"  // ShapeAttachment: what a container holds
#include "vcrun/stats.hpp"  // NetClassStats: a class's counters as stats shows them

namespace vcrun::net {

class Kernel;

struct ShapeRequest {
  std::string id;  // the holder: the container's cgroup name
  std::string egress;                  // "": the default route's device
  std::optional<uint64_t> link_rate;   // bits/s; nullopt: the tree's, or the device's speed
  std::optional<uint64_t> rate, ceil;  // bits/s
  double share = 1;
  // Who the packets are: bridge mode's host-side veth, or (host mode) the cgroup.
  std::string veth;
  unsigned cgroup_level = 0;
  uint64_t cgroup_id = 0;
};

// Under the lease lock: resolves the device and its link rate, admits the reservation
// (SpecError naming the field when refused), picks a free class, calls `record` with what
// it is about to make, then makes it: the class's ledger file, the HTB root when the device
// has none of vcrun's, the class, the tagging rules.
ShapeAttachment attach_shaping(const ShapeRequest& req, const std::function<void(const ShapeAttachment&)>& record);
// The same over `kernel` (kernel.hpp), with the leases and ledgers in `lease_dir`.
ShapeAttachment attach_shaping(Kernel& kernel, const std::string& lease_dir, const ShapeRequest& req,
                               const std::function<void(const ShapeAttachment&)>& record);

// Under the lease lock: removes `id`'s rules and class (a class another container holds by
// now is left alone); the HTB root (if vcrun made it) goes with the device's last class,
// the tagging chains with the last class anywhere. What is gone already is skipped.
void detach_shaping(const ShapeAttachment& a, const std::string& id);
void detach_shaping(Kernel& kernel, const ShapeAttachment& a, const std::string& id);

// Detaches every class `id` holds in the caller's network namespace (for a container whose
// teardown record is unreadable: the ledger names the holder).
void detach_all_shaping(const std::string& id);

// What `vcrun update` changes of a class; the rest stays as the container has it.
struct ShapeChange {
  std::optional<uint64_t> rate, ceil;  // bits/s
  std::optional<double> share;
};

// Changes the class of a running container in place (its device and link rate stay), admitted
// again against the others' (SpecError naming the field, nothing changed); every class of the
// device gets its recomputed rate.
void update_shaping(const ShapeAttachment& a, const std::string& id, const ShapeChange& change);
void update_shaping(Kernel& kernel, const ShapeAttachment& a, const std::string& id, const ShapeChange& change);

// The counters of the container's class, as `vcrun stats` shows them; nullopt when it has
// none (any more).
std::optional<NetClassStats> shaping_counters(const ShapeAttachment& a);

}  // namespace vcrun::net
