// Bridge mode's parent-side setup and teardown (bridge.hpp), over leases, links, addresses,
// routes and the NAT chain.
#include "net/policy/bridge.hpp"

#include <linux/netlink.h>

#include <cstdio>
#include <optional>

#include "base/fs_util.hpp"
#include "base/text.hpp"
#include "net/objects/addresses.hpp"
#include "net/values/ipv4.hpp"
#include "net/state/leases.hpp"
#include "net/objects/links.hpp"
#include "net/objects/nat.hpp"
#include "net/objects/publish.hpp"
#include "net/objects/routes.hpp"
#include "vcrun/error.hpp"

namespace vcrun::net {

namespace {

constexpr const char* kContainerLink = "eth0";

void check_routes(net::Socket& nl, const Ipv4Net& subnet, unsigned bridge_index, const std::string& field) {
  for (const auto& r : net::main_routes(nl)) {
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

// Undoes the host end `veth`. With the container's init gone, its network namespace goes
// too as soon as nothing holds it any more (the kernel's cleanup of a namespace, run
// asynchronously, destroys its links, the peers of their veths included): an RTM_DELLINK
// here would only make the caller wait 12-16 ms (more under load) for synchronize_net and
// rcu_barrier, so the link is taken down and out of the bridge instead (0.1-1 ms) and left
// to that cleanup. A namespace that something else keeps (a bind mount, a process that
// joined it) keeps its now isolated pair until it goes, or until a container leases the
// address again (attach_bridge deletes it then). A live init's veth is deleted.
void undo_veth(net::Socket& nl, const std::string& veth, bool init_gone) {
  auto link = net::find_link(nl, veth);
  if (!link) return;
  if (init_gone && link->kind == "veth")
    net::disconnect_link(nl, link->index);
  else
    net::delete_link(nl, veth);
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
  net::Socket nl(NETLINK_ROUTE);
  auto link = net::find_link(nl, req.bridge);
  if (link && link->kind != "bridge")
    throw SpecError("vcrun.network.bridge", quoted(req.bridge) + " is taken by a link that is not a bridge" +
                                          (link->kind.empty() ? "" : " (" + link->kind + ")"));
  // The subnet the bridge was last given; a kept bridge with no lease left may change it.
  const std::optional<std::string> old_subnet = leases.subnet(req.bridge);
  const bool renumbered = old_subnet != req.subnet;
  if (old_subnet && renumbered && leases.count(req.bridge))
    throw SpecError("vcrun.network.subnet", "bridge " + req.bridge + " has the subnet " + *old_subnet + ", not " + req.subnet);
  check_routes(nl, subnet, link ? link->index : 0, "vcrun.network.subnet");
  Ipv4 ip;
  if (!req.ip.empty()) {
    ip = *parse_ipv4(req.ip);
    if (auto who = leases.holder(req.bridge, ip))
      throw SpecError("vcrun.network.ip", req.ip + " is in use by container " + quoted(holder_id(*who)));
  } else {
    // Past an address whose host end a previous holder left to its namespace's cleanup
    // (detach_bridge), which may not have run yet: reusing it would first delete that link.
    ip = leases.first_free(req.bridge, subnet, [&](Ipv4 a) { return net::find_link(nl, veth_name(a)).has_value(); });
  }
  auto publish_field = [](size_t i) { return indexed("vcrun.network.publish", i); };
  for (size_t i = 0; i < req.publish.size(); ++i)
    if (auto who = leases.port_holder(req.bridge, host_port_name(req.publish[i])))
      throw SpecError(publish_field(i),
                      "host port " + host_port_name(req.publish[i]) + " is published by container " + quoted(holder_id(*who)));
  check_host_ports(nl, req.publish, bridge_subnets(leases, subnet), publish_field);
  BridgeAttachment a{leases.dir(), req.bridge, req.subnet, to_string(ip), veth_name(ip), !req.publish.empty()};
  record(a);

  // The bridge and its NAT chain outlive their last container (docs/network.md), so the
  // bridge-wide setup below is mostly already there: the NAT transaction is redone only when
  // the bridge is new, its subnet changed (possible with no lease left) or its rule is gone
  // (a host firewall reload flushed it).
  leases.take(req.bridge, ip, req.holder);
  if (renumbered) leases.set_subnet(req.bridge, req.subnet);
  bool made = !link;
  if (made) {
    leases.mark_made_bridge(req.bridge);
    net::create_bridge(nl, req.bridge);
    link = net::find_link(nl, req.bridge);
    if (!link) throw Error("bridge " + req.bridge + " vanished after its creation", ENODEV);
  } else if (renumbered && old_subnet) {
    // A kept bridge's gateway of its former subnet would keep routing that subnet here.
    if (auto old = parse_ipv4_net(*old_subnet)) net::remove_address(nl, link->index, old->gateway(), old->prefix);
  }
  net::add_address(nl, link->index, subnet.gateway(), subnet.prefix, /*exist_ok=*/true);
  net::set_link_up(nl, link->index);
  enable_forwarding();
  if (made || renumbered || !net::masquerade_present(req.bridge)) net::ensure_masquerade(req.bridge, subnet);
  try {
    net::create_veth(nl, a.veth, link->index, kContainerLink, netns_fd);
  } catch (const Error& e) {
    // The address is this container's now (leased under the lock), so a veth of its name is
    // a former holder's host end whose namespace's cleanup has not run yet, or one a
    // namespace that outlived its container kept: delete it and make ours.
    auto stale = e.code() == EEXIST ? net::find_link(nl, a.veth) : std::nullopt;
    if (!stale || stale->kind != "veth") throw;
    net::delete_link(nl, a.veth);
    net::create_veth(nl, a.veth, link->index, kContainerLink, netns_fd);
  }

  net::Socket inside = net::Socket::in_netns(NETLINK_ROUTE, netns_fd);
  auto eth = net::find_link(inside, kContainerLink);
  if (!eth) throw Error(std::string(kContainerLink) + " is missing in the container's network namespace", ENODEV);
  net::add_address(inside, eth->index, ip, subnet.prefix);
  net::set_link_up(inside, eth->index);
  net::add_default_route(inside, subnet.gateway(), eth->index);
  for (const auto& p : req.publish) leases.take_port(req.bridge, host_port_name(p), req.holder);
  publish_ports(a.veth, ip, req.publish);
  return a;
}

void detach_bridge(const BridgeAttachment& a, const std::string& holder, bool init_gone) {
  Leases leases(a.leases);
  net::Socket nl(NETLINK_ROUTE);
  // The record is saved before the lease is taken: killed in between, the container never
  // held the address, which another may hold by now, with the veth named after it.
  auto ip = parse_ipv4(a.ip);
  auto held = ip ? leases.holder(a.bridge, *ip) : std::nullopt;
  if (!held || held->empty() || *held == holder) {
    if (a.published) unpublish_ports(a.veth);
    undo_veth(nl, a.veth, init_gone);
    if (ip) leases.release(a.bridge, *ip, holder);
  }
  leases.release_ports(a.bridge, holder);
  leases.remove_temporaries(a.bridge);
  // The bridge, its gateway address, its NAT chain and the table `ip vcrun` stay, as docker
  // keeps docker0: making and removing them cost a container alone on the bridge 60-70 ms of
  // its `run --rm`, most of it the bridge's RTM_DELLINK (docs/network.md).
  // `ip link del` and `nft delete table ip vcrun` remove them; the next container makes
  // them again.
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
    detach_bridge({dir, bridge, subnet, to_string(ip), veth_name(ip), /*published=*/true}, holder, /*init_gone=*/false);
  }
}

}  // namespace vcrun::net
