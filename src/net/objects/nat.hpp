// Outbound NAT for a bridge's subnet in nftables, in vcrun's own table `ip vcrun`, so it
// lives beside a host firewall's tables instead of editing them.
#pragma once

#include <string>

#include "net/values/ipv4.hpp"

namespace vcrun::net {

inline constexpr const char* kTable = "vcrun";

// One transaction: table `ip vcrun`, base chain `masq-<bridge>` (nat, postrouting,
// priority srcnat), emptied and given the one rule
//   ip saddr <subnet> ip daddr != <subnet> masquerade
// so running it again after a crash at any point leaves exactly that.
void ensure_masquerade(const std::string& bridge, const net::Ipv4Net& subnet);

// Whether the chain of `bridge` is there with its rule: a read, where ensure_masquerade's
// transaction (which replaces the rule) costs ~17 ms of the kernel's commit.
bool masquerade_present(const std::string& bridge);

// Removes the table `ip vcrun` when no chain is left in it (no bridge's NAT chain, which
// stays with its bridge, and the last shaped container's classify chains went); nothing there is not an error. Call it
// under the lease lock, which every user of the table holds while it adds or removes chains.
void remove_table_if_unused();
// Whether the table `ip vcrun` holds any chain.
bool table_has_chains();

}  // namespace vcrun::net
