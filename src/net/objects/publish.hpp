// Port publishing for bridge mode (--publish / vcrun.network.publish): connections to a
// port of the host are forwarded to a port of the container, by DNAT rules in vcrun's own
// nftables table `ip vcrun`.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "net/values/ipv4.hpp"
#include "net/transport/netlink.hpp"

namespace vcrun::net {

// The value (vcrun/net_values.hpp, parsed and printed in net/values/published.cpp).
using Published = vcrun::PublishedPort;
using vcrun::host_port_name;

class Leases;

// The subnets of vcrun's bridges in the caller's network namespace: `own` (the one being
// attached) and those of every bridge `leases` knows.
std::vector<Ipv4Net> bridge_subnets(const Leases& leases, const Ipv4Net& own);

// Refuses (SpecError naming field(i)) an entry that would take what is not vcrun's to give,
// judged in the caller's network namespace (the host's):
//  - a HOSTIP that is not an address of one of the host's interfaces (another container's,
//    another host's), or one in `subnets` (vcrun's bridges: their gateways' addresses are
//    the containers' way to the host, not a host address to take over);
//  - a host port something on the host already uses: a TCP listener or a bound UDP socket
//    on HOSTIP, or (without HOSTIP, which forwards every local address) on any address,
//    IPv4 or IPv6. Tested by binding a socket there as the service would (EADDRINUSE:
//    taken) and closing it again: vcrun has no process to hold the port, so a service that
//    binds it after the container started is not refused.
void check_host_ports(net::Socket& nl, const std::vector<Published>& ports, const std::vector<Ipv4Net>& subnets,
                      const std::function<std::string(size_t)>& field);

// One transaction: the chains pub-<veth> (hook prerouting: from other hosts and
// namespaces) and pubout-<veth> (hook output: from the host itself), both type nat at
// priority dstnat, each with one rule per entry:
//   [ip daddr HOSTIP | fib daddr type local] <proto> dport HOSTPORT dnat to CONTAINER:PORT
// Only connections to the host's own addresses are forwarded: a container's connection
// through the bridge to port HOSTPORT elsewhere is left alone.
void publish_ports(const std::string& veth, Ipv4 container, const std::vector<Published>& ports);

// Removes both chains of `veth`; what is gone already is not an error.
void unpublish_ports(const std::string& veth);

}  // namespace vcrun::net
