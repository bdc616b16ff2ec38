// IPv4 addresses of links over rtnetlink.
#pragma once

#include "netfilter/ipv4.hpp"
#include "netfilter/netlink.hpp"

namespace vcrun::netlink {

// Adds `addr`/`prefix` to the link `ifindex`; `exist_ok`: an address already there is not
// an error (a bridge another container set up).
void add_address(Socket& nl, unsigned ifindex, net::Ipv4 addr, unsigned prefix, bool exist_ok = false);

}  // namespace vcrun::netlink
