// Tagging a container's packets with its HTB class, in nftables (libnftnl), in vcrun's own
// tables: HTB's classify step picks the class whose id equals skb->priority, so a rule that
// sets `meta priority` to the class id is the whole classifier, with no tc filter.
//
//   host mode (the shared stack), table `ip vcrun`, chain `shape-out` (filter, output):
//     socket cgroupv2 level L <container cgroup> meta priority set 7663:N
//   bridge mode (forwarded traffic): at the IPv4 forward hook the input interface is the
//   bridge, not the container's veth, and ip_forward() resets skb->priority before that
//   hook; so the veth is recognised in the bridge family and carried to the forward hook
//   in the packet mark:
//     table `bridge vcrun`, chain `shape-in` (filter, prerouting):
//       iifname <veth> meta mark set 0x7663000N
//     table `ip vcrun`, chain `shape-fwd` (filter, forward):
//       meta mark 0x7663000N meta priority set 7663:N meta mark set 0
//
// Every rule carries the comment "vcrun:<container id>", by which it is found and removed.
#pragma once

#include <cstdint>
#include <string>

namespace vcrun::net {

// Tags the packets of sockets of the cgroup with id `cgroup_id` at `level` of the cgroup
// v2 hierarchy (and of its descendants) with `classid`. Replaces `id`'s rules.
void tag_cgroup(const std::string& id, unsigned level, uint64_t cgroup_id, uint32_t classid);

// Tags what enters the bridge from the veth `veth` and is routed on with `classid`.
// Replaces `id`'s rules.
void tag_veth(const std::string& id, const std::string& veth, uint32_t classid);

// Removes `id`'s rules (none is not an error).
void untag(const std::string& id);

// Removes the shape chains and the table `bridge vcrun` (the last shaped container went);
// the table `ip vcrun` goes with net::remove_table_if_unused. Nothing there is not an error.
void remove_chains();

}  // namespace vcrun::net
