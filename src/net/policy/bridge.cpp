// Bridge mode's parent-side setup and teardown (bridge.hpp), over leases, links, addresses,
// routes and the NAT chain.
#include "net/policy/bridge.hpp"

#include <cstdio>
#include <optional>

#include "base/fs_util.hpp"
#include "base/text.hpp"
#include "net/kernel.hpp"
#include "net/state/leases.hpp"
#include "net/system_kernel.hpp"
#include "net/values/ipv4.hpp"
#include "vcrun/error.hpp"

namespace vcrun::net {

namespace {

constexpr const char* kContainerLink = "eth0";

void check_routes(Kernel& k, const Ipv4Net& subnet, unsigned bridge_index, const std::string& field) {
  for (const auto& r : k.main_routes()) {
    if (r.destination.prefix == 0 || (bridge_index && r.oif == bridge_index)) continue;
    if (subnet.overlaps(r.destination))
      throw SpecError(field, to_string(subnet) + " overlaps the route to " + to_string(r.destination) +
                                 " (interface index " + std::to_string(r.oif) + ")");
  }
}

// Undoes the host end `veth`. With the container's init gone, its network namespace goes
// too as soon as nothing holds it any more (the kernel's cleanup of a namespace, run
// asynchronously, destroys its links, the peers of their veths included): an RTM_DELLINK
// here would only make the caller wait 12-16 ms (more under load) for synchronize_net and
// rcu_barrier, so the link is taken down and out of the bridge instead (0.1-1 ms) and left
// to that cleanup. A namespace that something else keeps (a bind mount, a process that
// joined it) keeps its now isolated pair until it goes, or until a container leases the
// address again (attach_bridge deletes it then). A live init's veth is deleted.
void undo_veth(Kernel& k, const std::string& veth, bool init_gone) {
  auto link = k.find_link(veth);
  if (!link) return;
  if (init_gone && link->kind == "veth")
    k.disconnect_link(link->index);
  else
    k.delete_link(veth);
}

}  // namespace

std::string veth_name(Ipv4 ip) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "vb%08x", ip.value);
  return buf;
}

BridgeAttachment attach_bridge(const BridgeRequest& req, int netns_fd,
                               const std::function<void(const BridgeAttachment&)>& record) {
  SystemKernel kernel;
  return attach_bridge(kernel, netns_lease_dir(), req, netns_fd, record);
}

BridgeAttachment attach_bridge(Kernel& k, const std::string& lease_dir, const BridgeRequest& req, int netns_fd,
                               const std::function<void(const BridgeAttachment&)>& record) {
  const Ipv4Net subnet = req.subnet;
  const std::string subnet_text = to_string(subnet);  // as the leases keep it
  Leases leases(lease_dir);
  auto link = k.find_link(req.bridge);
  if (link && link->kind != "bridge")
    throw SpecError("vcrun.network.bridge", quoted(req.bridge) + " is taken by a link that is not a bridge" +
                                          (link->kind.empty() ? "" : " (" + link->kind + ")"));
  // The subnet the bridge was last given; a kept bridge with no lease left may change it.
  const std::optional<std::string> old_subnet = leases.subnet(req.bridge);
  const bool renumbered = old_subnet != subnet_text;
  if (old_subnet && renumbered && leases.count(req.bridge))
    throw SpecError("vcrun.network.subnet", "bridge " + req.bridge + " has the subnet " + *old_subnet + ", not " + subnet_text);
  check_routes(k, subnet, link ? link->index : 0, "vcrun.network.subnet");
  Ipv4 ip;
  if (req.ip) {
    ip = *req.ip;
    if (auto who = leases.holder(req.bridge, ip))
      throw SpecError("vcrun.network.ip", to_string(ip) + " is in use by container " + quoted(holder_id(*who)));
  } else {
    // Past an address whose host end a previous holder left to its namespace's cleanup
    // (detach_bridge), which may not have run yet: reusing it would first delete that link.
    ip = leases.first_free(req.bridge, subnet, [&](Ipv4 a) { return k.find_link(veth_name(a)).has_value(); });
  }
  auto publish_field = [](size_t i) { return indexed("vcrun.network.publish", i); };
  for (size_t i = 0; i < req.publish.size(); ++i)
    if (auto who = leases.port_holder(req.bridge, host_port_name(req.publish[i])))
      throw SpecError(publish_field(i),
                      "host port " + host_port_name(req.publish[i]) + " is published by container " + quoted(holder_id(*who)));
  k.check_host_ports(req.publish, bridge_subnets(leases, subnet), publish_field);
  BridgeAttachment a{leases.dir(), req.bridge, subnet_text, to_string(ip), veth_name(ip), !req.publish.empty()};
  record(a);

  // The bridge and its NAT chain outlive their last container (docs/network.md), so the
  // bridge-wide setup below is mostly already there: the NAT transaction is redone only when
  // the bridge is new, its subnet changed (possible with no lease left) or its rule is gone
  // (a host firewall reload flushed it).
  leases.take(req.bridge, ip, req.holder);
  if (renumbered) leases.set_subnet(req.bridge, subnet_text);
  bool made = !link;
  if (made) {
    leases.mark_made_bridge(req.bridge);
    k.create_bridge(req.bridge);
    link = k.find_link(req.bridge);
    if (!link) throw Error("bridge " + req.bridge + " vanished after its creation", ENODEV);
  } else if (renumbered && old_subnet) {
    // A kept bridge's gateway of its former subnet would keep routing that subnet here.
    if (auto old = parse_ipv4_net(*old_subnet)) k.remove_address(link->index, old->gateway(), old->prefix);
  }
  k.add_address(link->index, subnet.gateway(), subnet.prefix, /*exist_ok=*/true);
  k.set_link_up(link->index);
  k.enable_forwarding();
  if (made || renumbered || !k.masquerade_present(req.bridge)) k.ensure_masquerade(req.bridge, subnet);
  try {
    k.create_veth(a.veth, link->index, kContainerLink, netns_fd);
  } catch (const Error& e) {
    // The address is this container's now (leased under the lock), so a veth of its name is
    // a former holder's host end whose namespace's cleanup has not run yet, or one a
    // namespace that outlived its container kept: delete it and make ours.
    auto stale = e.code() == EEXIST ? k.find_link(a.veth) : std::nullopt;
    if (!stale || stale->kind != "veth") throw;
    k.delete_link(a.veth);
    k.create_veth(a.veth, link->index, kContainerLink, netns_fd);
  }

  auto eth = k.find_link(kContainerLink, netns_fd);
  if (!eth) throw Error(std::string(kContainerLink) + " is missing in the container's network namespace", ENODEV);
  k.add_address(eth->index, ip, subnet.prefix, /*exist_ok=*/false, netns_fd);
  k.set_link_up(eth->index, netns_fd);
  k.add_default_route(subnet.gateway(), eth->index, netns_fd);
  for (const auto& p : req.publish) leases.take_port(req.bridge, host_port_name(p), req.holder);
  k.publish_ports(a.veth, ip, req.publish);
  return a;
}

void detach_bridge(const BridgeAttachment& a, const std::string& holder, bool init_gone) {
  SystemKernel kernel;
  detach_bridge(kernel, a, holder, init_gone);
}

void detach_bridge(Kernel& k, const BridgeAttachment& a, const std::string& holder, bool init_gone) {
  Leases leases(a.leases);
  // The record is saved before the lease is taken: killed in between, the container never
  // held the address, which another may hold by now, with the veth named after it.
  auto ip = parse_ipv4(a.ip);
  auto held = ip ? leases.holder(a.bridge, *ip) : std::nullopt;
  if (!held || held->empty() || *held == holder) {
    if (a.published) k.unpublish_ports(a.veth);
    undo_veth(k, a.veth, init_gone);
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
  SystemKernel kernel;
  std::string dir = netns_lease_dir();
  if (!exists(dir)) return;
  std::vector<std::pair<std::string, Ipv4>> held;
  {
    Leases l(dir);
    held = l.held_by(holder);
  }
  for (const auto& [bridge, ip] : held) {
    std::string subnet = Leases(dir).subnet(bridge).value_or("");
    detach_bridge(kernel, {dir, bridge, subnet, to_string(ip), veth_name(ip), /*published=*/true}, holder,
                  /*init_gone=*/false);
  }
}

}  // namespace vcrun::net
