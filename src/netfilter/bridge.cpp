// Bridge mode's parent-side setup and teardown (bridge.hpp), over leases, links, addresses,
// routes and the NAT chain.
#include "netfilter/bridge.hpp"

#include <linux/netlink.h>

#include <cstdio>

#include "base/fs_util.hpp"
#include "base/text.hpp"
#include "netfilter/addresses.hpp"
#include "netfilter/ipv4.hpp"
#include "netfilter/leases.hpp"
#include "netfilter/links.hpp"
#include "netfilter/nat.hpp"
#include "netfilter/publish.hpp"
#include "netfilter/routes.hpp"
#include "vcrun/error.hpp"

namespace vcrun::net {

namespace {

constexpr const char* kContainerLink = "eth0";

void check_routes(netlink::Socket& nl, const Ipv4Net& subnet, unsigned bridge_index, const std::string& field) {
  for (const auto& r : netlink::main_routes(nl)) {
    if (r.destination.prefix == 0 || (bridge_index && r.oif == bridge_index)) continue;
    if (subnet.overlaps(r.destination))
      throw SpecError(field, to_string(subnet) + " overlaps the route to " + to_string(r.destination) +
                                 " (interface index " + std::to_string(r.oif) + ")");
  }
}

void enable_forwarding() {
  const char* path = "/proc/sys/net/ipv4/ip_forward";
  if (read_file(path).starts_with("1")) return;
  write_existing(path, "1");
}

}  // namespace

std::string veth_name(Ipv4 ip) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "vb%08x", ip.value);
  return buf;
}

BridgeAttachment attach_bridge(const BridgeRequest& req, int netns_fd,
                               const std::function<void(const BridgeAttachment&)>& record) {
  Ipv4Net subnet = *parse_ipv4_net(req.subnet);
  Leases leases(netns_lease_dir());
  netlink::Socket nl(NETLINK_ROUTE);
  auto link = netlink::find_link(nl, req.bridge);
  if (link && link->kind != "bridge")
    throw SpecError(req.bridge_field, quoted(req.bridge) + " is taken by a link that is not a bridge" +
                                          (link->kind.empty() ? "" : " (" + link->kind + ")"));
  if (auto s = leases.subnet(req.bridge); s && *s != req.subnet && leases.count(req.bridge))
    throw SpecError(req.subnet_field, "bridge " + req.bridge + " has the subnet " + *s + ", not " + req.subnet);
  check_routes(nl, subnet, link ? link->index : 0, req.subnet_field);
  Ipv4 ip;
  if (!req.ip.empty()) {
    ip = *parse_ipv4(req.ip);
    if (auto who = leases.holder(req.bridge, ip))
      throw SpecError(req.ip_field, req.ip + " is in use by container " + quoted(holder_id(*who)));
  } else {
    ip = leases.first_free(req.bridge, subnet);
  }
  auto publish_field = [&](size_t i) {
    return req.publish_field.starts_with("--") ? req.publish_field : indexed(req.publish_field, i);
  };
  for (size_t i = 0; i < req.publish.size(); ++i)
    if (auto who = leases.port_holder(req.bridge, host_port_name(req.publish[i])))
      throw SpecError(publish_field(i),
                      "host port " + host_port_name(req.publish[i]) + " is published by container " + quoted(holder_id(*who)));
  check_host_ports(nl, req.publish, bridge_subnets(leases, subnet), publish_field);
  BridgeAttachment a{leases.dir(), req.bridge, req.subnet, to_string(ip), veth_name(ip), !req.publish.empty()};
  record(a);

  // The bridge-wide setup below is the first container's; a later one (another holds a
  // lease, so the subnet is the same) redoes the NAT transaction only when its rule is gone
  // (a host firewall reload flushed it).
  bool first = leases.count(req.bridge) == 0;
  leases.take(req.bridge, ip, req.holder);
  leases.set_subnet(req.bridge, req.subnet);
  if (!link) {
    leases.mark_made_bridge(req.bridge);
    netlink::create_bridge(nl, req.bridge);
    link = netlink::find_link(nl, req.bridge);
    if (!link) throw Error("bridge " + req.bridge + " vanished after its creation", ENODEV);
  }
  netlink::add_address(nl, link->index, subnet.gateway(), subnet.prefix, /*exist_ok=*/true);
  netlink::set_link_up(nl, link->index);
  enable_forwarding();
  if (first || !nat::masquerade_present(req.bridge)) nat::ensure_masquerade(req.bridge, subnet);
  netlink::create_veth(nl, a.veth, link->index, kContainerLink, netns_fd);

  netlink::Socket inside = netlink::Socket::in_netns(NETLINK_ROUTE, netns_fd);
  auto eth = netlink::find_link(inside, kContainerLink);
  if (!eth) throw Error(std::string(kContainerLink) + " is missing in the container's network namespace", ENODEV);
  netlink::add_address(inside, eth->index, ip, subnet.prefix);
  netlink::set_link_up(inside, eth->index);
  netlink::add_default_route(inside, subnet.gateway(), eth->index);
  for (const auto& p : req.publish) leases.take_port(req.bridge, host_port_name(p), req.holder);
  publish_ports(a.veth, ip, req.publish);
  return a;
}

void detach_bridge(const BridgeAttachment& a, const std::string& holder) {
  Leases leases(a.leases);
  netlink::Socket nl(NETLINK_ROUTE);
  // The record is saved before the lease is taken: killed in between, the container never
  // held the address, which another may hold by now, with the veth named after it.
  auto ip = parse_ipv4(a.ip);
  auto held = ip ? leases.holder(a.bridge, *ip) : std::nullopt;
  if (!held || held->empty() || *held == holder) {
    if (a.published) unpublish_ports(a.veth);
    netlink::delete_link(nl, a.veth);
    if (ip) leases.release(a.bridge, *ip, holder);
  }
  leases.release_ports(a.bridge, holder);
  if (leases.count(a.bridge)) return;
  nat::remove_masquerade(a.bridge);
  if (leases.made_bridge(a.bridge)) netlink::delete_link(nl, a.bridge);
  leases.forget(a.bridge);
  if (!leases.any_bridge()) nat::remove_table_if_unused();
}

void detach_all(const std::string& holder) {
  std::string dir = netns_lease_dir();
  if (!exists(dir)) return;
  std::vector<std::pair<std::string, Ipv4>> held;
  {
    Leases l(dir);
    held = l.held_by(holder);
  }
  for (const auto& [bridge, ip] : held) {
    std::string subnet = Leases(dir).subnet(bridge).value_or("");
    detach_bridge({dir, bridge, subnet, to_string(ip), veth_name(ip), /*published=*/true}, holder);
  }
}

}  // namespace vcrun::net
