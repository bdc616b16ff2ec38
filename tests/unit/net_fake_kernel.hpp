// Unit-test support: a net::Kernel that keeps links, addresses, routes, HTB classes and rules
// in memory, records every call by name, and can be told to fail one (after youki's
// network/fake.rs), so the network policy runs without root and without touching the host.
#pragma once

#include <errno.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "net/kernel.hpp"
#include "vcrun/error.hpp"

namespace vcrun::test {

class FakeKernel : public net::Kernel {
 public:
  struct Link {
    net::LinkInfo info;
    bool up = false;
    unsigned master = 0;
  };
  struct Address {
    int netns;
    unsigned ifindex;
    net::Ipv4 addr;
    unsigned prefix;
    bool operator==(const Address&) const = default;
  };

  // Every call so far, by its name ("create_veth", ...).
  std::vector<std::string> calls;
  // The next call named `fail_call` throws Error(errno `fail_errno`) before doing anything.
  std::string fail_call;
  int fail_errno = EPERM;

  std::map<std::pair<int, std::string>, Link> links;  // (netns, name)
  std::vector<Address> addresses;
  std::vector<net::Route> routes;                              // the host's main table
  std::vector<std::tuple<int, net::Ipv4, unsigned>> default_routes;  // (netns, gateway, ifindex)
  bool forwarding = false;
  std::map<std::string, net::Ipv4Net> masquerades;
  std::map<std::string, std::vector<net::Published>> published;
  std::string default_device;  // the default route's device; "": none
  std::map<std::string, uint64_t> speeds;
  std::map<unsigned, net::RootQdisc> qdiscs;
  std::map<std::pair<unsigned, uint32_t>, net::HtbClass> classes;
  std::map<std::string, uint32_t> tags;  // holder -> classid
  bool chains = false;

  // A host link, as a physical device or one left from before.
  unsigned add_link(const std::string& name, const std::string& kind = "", int netns = net::kHostNetns) {
    unsigned index = next_index_++;
    links[{netns, name}] = {{index, name, kind}, false, 0};
    return index;
  }
  const Link* link(const std::string& name, int netns = net::kHostNetns) const {
    auto it = links.find({netns, name});
    return it == links.end() ? nullptr : &it->second;
  }
  size_t count(const std::string& call) const { return std::count(calls.begin(), calls.end(), call); }

  std::optional<net::LinkInfo> find_link(const std::string& name, int netns) override {
    enter("find_link");
    if (auto* l = link(name, netns)) return l->info;
    return std::nullopt;
  }
  void set_link_up(unsigned ifindex, int netns) override {
    enter("set_link_up");
    by_index(ifindex, netns).up = true;
  }
  void create_bridge(const std::string& name) override {
    enter("create_bridge");
    if (link(name)) throw Error("create bridge " + name, EEXIST);
    add_link(name, "bridge");
    links[{net::kHostNetns, name}].up = true;
  }
  void create_veth(const std::string& name, unsigned master, const std::string& peer_name, int peer_netns_fd) override {
    enter("create_veth");
    if (link(name) || link(peer_name, peer_netns_fd)) throw Error("create veth " + name, EEXIST);
    add_link(name, "veth");
    links[{net::kHostNetns, name}].up = true;
    links[{net::kHostNetns, name}].master = master;
    add_link(peer_name, "veth", peer_netns_fd);
  }
  bool disconnect_link(unsigned ifindex) override {
    enter("disconnect_link");
    Link& l = by_index(ifindex, net::kHostNetns);
    l.up = false;
    l.master = 0;
    return true;
  }
  bool delete_link(const std::string& name) override {
    enter("delete_link");
    return links.erase({net::kHostNetns, name}) > 0;
  }
  void add_address(unsigned ifindex, net::Ipv4 addr, unsigned prefix, bool exist_ok, int netns) override {
    enter("add_address");
    Address a{netns, ifindex, addr, prefix};
    if (std::find(addresses.begin(), addresses.end(), a) != addresses.end()) {
      if (exist_ok) return;
      throw Error("add address", EEXIST);
    }
    addresses.push_back(a);
  }
  bool remove_address(unsigned ifindex, net::Ipv4 addr, unsigned prefix) override {
    enter("remove_address");
    auto it = std::find(addresses.begin(), addresses.end(), Address{net::kHostNetns, ifindex, addr, prefix});
    if (it == addresses.end()) return false;
    addresses.erase(it);
    return true;
  }
  std::vector<net::Route> main_routes() override {
    enter("main_routes");
    return routes;
  }
  void add_default_route(net::Ipv4 gateway, unsigned ifindex, int netns) override {
    enter("add_default_route");
    default_routes.emplace_back(netns, gateway, ifindex);
  }
  void enable_forwarding() override {
    enter("enable_forwarding");
    forwarding = true;
  }

  bool masquerade_present(const std::string& bridge) override {
    enter("masquerade_present");
    return masquerades.count(bridge) > 0;
  }
  void ensure_masquerade(const std::string& bridge, const net::Ipv4Net& subnet) override {
    enter("ensure_masquerade");
    masquerades[bridge] = subnet;
  }
  void check_host_ports(const std::vector<net::Published>&, const std::vector<net::Ipv4Net>&,
                        const std::function<std::string(size_t)>&) override {
    enter("check_host_ports");
  }
  void publish_ports(const std::string& veth, net::Ipv4, const std::vector<net::Published>& ports) override {
    enter("publish_ports");
    if (!ports.empty()) published[veth] = ports;
  }
  void unpublish_ports(const std::string& veth) override {
    enter("unpublish_ports");
    published.erase(veth);
  }

  std::optional<net::Egress> default_route_device() override {
    enter("default_route_device");
    if (default_device.empty()) return std::nullopt;
    return egress(default_device);
  }
  std::optional<net::Egress> egress_device(const std::string& name) override {
    enter("egress_device");
    return egress(name);
  }
  std::optional<uint64_t> link_speed(const std::string& name) override {
    enter("link_speed");
    auto it = speeds.find(name);
    if (it == speeds.end()) return std::nullopt;
    return it->second;
  }
  std::optional<net::RootQdisc> root_qdisc(unsigned ifindex) override {
    enter("root_qdisc");
    auto it = qdiscs.find(ifindex);
    if (it == qdiscs.end()) return net::RootQdisc{0, "noqueue"};
    return it->second;
  }
  void create_htb_root(unsigned ifindex, uint64_t, uint64_t) override {
    enter("create_htb_root");
    if (qdiscs.count(ifindex)) throw Error("create htb root", EEXIST);
    qdiscs[ifindex] = {net::kHtbMajor << 16, "htb"};
  }
  bool delete_htb_root(unsigned ifindex) override {
    enter("delete_htb_root");
    std::erase_if(classes, [&](const auto& c) { return c.first.first == ifindex; });
    return qdiscs.erase(ifindex) > 0;
  }
  void set_htb_class(unsigned ifindex, const net::HtbClass& c, bool create) override {
    enter("set_htb_class");
    if (!qdiscs.count(ifindex)) throw Error("htb class", ENOENT);
    bool there = classes.count({ifindex, c.minor}) > 0;
    if (create && there) throw Error("htb class", EEXIST);
    if (!create && !there) throw Error("htb class", ENOENT);
    classes[{ifindex, c.minor}] = c;
  }
  bool delete_htb_class(unsigned ifindex, uint32_t minor) override {
    enter("delete_htb_class");
    return classes.erase({ifindex, minor}) > 0;
  }
  std::optional<net::ClassCounters> htb_class_counters(unsigned ifindex, uint32_t minor) override {
    enter("htb_class_counters");
    if (!classes.count({ifindex, minor})) return std::nullopt;
    return net::ClassCounters{};
  }

  void tag_cgroup(const std::string& id, unsigned, uint64_t, uint32_t classid) override {
    enter("tag_cgroup");
    tags[id] = classid;
    chains = true;
  }
  void tag_veth(const std::string& id, const std::string&, uint32_t classid) override {
    enter("tag_veth");
    tags[id] = classid;
    chains = true;
  }
  void untag(const std::string& id) override {
    enter("untag");
    tags.erase(id);
  }
  void remove_chains() override {
    enter("remove_chains");
    chains = false;
  }
  void remove_table_if_unused() override { enter("remove_table_if_unused"); }

 private:
  void enter(const std::string& call) {
    calls.push_back(call);
    if (call == fail_call) {
      fail_call.clear();
      throw Error(call + ": injected failure", fail_errno);
    }
  }
  Link& by_index(unsigned ifindex, int netns) {
    for (auto& [key, l] : links)
      if (key.first == netns && l.info.index == ifindex) return l;
    throw Error("no link of index " + std::to_string(ifindex), ENODEV);
  }
  std::optional<net::Egress> egress(const std::string& name) const {
    if (auto* l = link(name)) return net::Egress{name, l->info.index};
    return std::nullopt;
  }
  unsigned next_index_ = 2;  // 1: lo
};

}  // namespace vcrun::test
