// IPv4 routes over rtnetlink: the main table's destinations, and a default route.
#pragma once

#include <vector>

#include "net/values/ipv4.hpp"
#include "net/transport/netlink.hpp"

namespace vcrun::net {

struct Route {
  net::Ipv4Net destination;
  unsigned oif = 0;  // 0: none (a multipath or unreachable route)
};

// The IPv4 routes of the main table in the socket's namespace.
std::vector<Route> main_routes(Socket& nl);

// A default route via `gateway` on the link `ifindex`.
void add_default_route(Socket& nl, net::Ipv4 gateway, unsigned ifindex);

}  // namespace vcrun::net
