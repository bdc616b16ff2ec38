// IPv4 addresses of links over rtnetlink: adding one, removing one, listing them.
#pragma once

#include <vector>

#include "net/values/ipv4.hpp"
#include "net/transport/netlink.hpp"

namespace vcrun::net {

// Adds `addr`/`prefix` to the link `ifindex`; `exist_ok`: an address already there is not
// an error (a bridge another container set up).
void add_address(Socket& nl, unsigned ifindex, net::Ipv4 addr, unsigned prefix, bool exist_ok = false);

// Removes `addr`/`prefix` from the link `ifindex`; false when it was not there.
bool remove_address(Socket& nl, unsigned ifindex, net::Ipv4 addr, unsigned prefix);

struct LinkAddress {
  unsigned ifindex = 0;
  net::Ipv4 address;  // IFA_LOCAL: the link's own address
  unsigned prefix = 0;
};

// Every IPv4 address of every link of the socket's network namespace (an RTM_GETADDR dump).
std::vector<LinkAddress> ipv4_addresses(Socket& nl);

}  // namespace vcrun::net
