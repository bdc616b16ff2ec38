// HTB over rtnetlink (libmnl): vcrun's root qdisc on an egress device and its classes.
//
// The tree: qdisc 7663: (htb, default class 7663:2) -> root class 7663:1 (rate = ceil = the
// link rate) -> the default class 7663:2 for unclassified traffic and one leaf class per
// shaped container (minor 0x10 and up). Leaves borrow from the root class, so what no
// reservation uses is shared by DRR in proportion to each leaf's quantum.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "net/transport/netlink.hpp"

namespace vcrun::net {

inline constexpr uint32_t kHtbMajor = 0x7663;  // "vc"
inline constexpr uint32_t kHtbRootMinor = 1;
inline constexpr uint32_t kHtbDefaultMinor = 2;
inline constexpr uint32_t kHtbFirstLeafMinor = 0x10;

// The tc handle major:minor as one number (skb->priority's value for a class).
constexpr uint32_t htb_handle(uint32_t minor) { return (kHtbMajor << 16) | minor; }

struct RootQdisc {
  uint32_t handle = 0;  // 0: the device's default qdisc
  std::string kind;     // "htb", "noqueue", "fq_codel", "mq", ...
};

// The root qdisc of the link `ifindex`; nullopt when it has none.
std::optional<RootQdisc> root_qdisc(Socket& nl, unsigned ifindex);

// vcrun's HTB root on `ifindex` at `link_bytes` per second: the qdisc, the root class and
// the default class (guaranteed `default_bytes`, ceil the link, a share of 1). EEXIST when
// the device has a root qdisc that is not a default one.
void create_htb_root(Socket& nl, unsigned ifindex, uint64_t link_bytes, uint64_t default_bytes);

// Deletes the root qdisc of `ifindex` when it is vcrun's (the device gets its default one
// back, its classes go with it); false when there was none of vcrun's.
bool delete_htb_root(Socket& nl, unsigned ifindex);

struct HtbClass {
  uint32_t minor = 0;
  uint64_t rate_bytes = 0;  // per second; > 0
  uint64_t ceil_bytes = 0;  // per second; >= rate_bytes
  uint32_t quantum = 0;     // bytes per DRR round when borrowing
};

// Creates (`create`) or changes the leaf class `c.minor` under the root class.
void set_htb_class(Socket& nl, unsigned ifindex, const HtbClass& c, bool create);

// Deletes the class `minor`; false when there was none.
bool delete_htb_class(Socket& nl, unsigned ifindex, uint32_t minor);

struct ClassCounters {
  uint64_t bytes = 0, packets = 0;
  uint64_t drops = 0, overlimits = 0;
};

// The counters of class `minor` (TCA_STATS2); nullopt when there is no such class.
std::optional<ClassCounters> htb_class_counters(Socket& nl, unsigned ifindex, uint32_t minor);

}  // namespace vcrun::net
