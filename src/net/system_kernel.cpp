// net::Kernel over the kernel: delegation to objects/ (system_kernel.hpp).
#include "net/system_kernel.hpp"

#include <linux/netlink.h>

#include "base/fs_util.hpp"
#include "net/objects/addresses.hpp"
#include "net/objects/classify.hpp"
#include "net/objects/nat.hpp"

namespace vcrun::net {

Socket& SystemKernel::socket(int netns) {
  if (netns == kHostNetns) {
    if (!host_) host_.emplace(NETLINK_ROUTE);
    return *host_;
  }
  if (!other_ || other_fd_ != netns) {
    other_.emplace(Socket::in_netns(NETLINK_ROUTE, netns));
    other_fd_ = netns;
  }
  return *other_;
}

std::optional<LinkInfo> SystemKernel::find_link(const std::string& name, int netns) {
  return net::find_link(socket(netns), name);
}
void SystemKernel::set_link_up(unsigned ifindex, int netns) { net::set_link_up(socket(netns), ifindex); }
void SystemKernel::create_bridge(const std::string& name) { net::create_bridge(socket(kHostNetns), name); }
void SystemKernel::create_veth(const std::string& name, unsigned master, const std::string& peer_name,
                               int peer_netns_fd) {
  net::create_veth(socket(kHostNetns), name, master, peer_name, peer_netns_fd);
}
bool SystemKernel::disconnect_link(unsigned ifindex) { return net::disconnect_link(socket(kHostNetns), ifindex); }
bool SystemKernel::delete_link(const std::string& name) { return net::delete_link(socket(kHostNetns), name); }
void SystemKernel::add_address(unsigned ifindex, Ipv4 addr, unsigned prefix, bool exist_ok, int netns) {
  net::add_address(socket(netns), ifindex, addr, prefix, exist_ok);
}
bool SystemKernel::remove_address(unsigned ifindex, Ipv4 addr, unsigned prefix) {
  return net::remove_address(socket(kHostNetns), ifindex, addr, prefix);
}
std::vector<Route> SystemKernel::main_routes() { return net::main_routes(socket(kHostNetns)); }
void SystemKernel::add_default_route(Ipv4 gateway, unsigned ifindex, int netns) {
  net::add_default_route(socket(netns), gateway, ifindex);
}
void SystemKernel::enable_forwarding() {
  const char* path = "/proc/sys/net/ipv4/ip_forward";
  if (read_file(path).starts_with("1")) return;
  write_existing(path, "1");
}

bool SystemKernel::masquerade_present(const std::string& bridge) { return net::masquerade_present(bridge); }
void SystemKernel::ensure_masquerade(const std::string& bridge, const Ipv4Net& subnet) {
  net::ensure_masquerade(bridge, subnet);
}
void SystemKernel::check_host_ports(const std::vector<Published>& ports, const std::vector<Ipv4Net>& subnets,
                                    const std::function<std::string(size_t)>& field) {
  net::check_host_ports(socket(kHostNetns), ports, subnets, field);
}
void SystemKernel::publish_ports(const std::string& veth, Ipv4 container, const std::vector<Published>& ports) {
  net::publish_ports(veth, container, ports);
}
void SystemKernel::unpublish_ports(const std::string& veth) { net::unpublish_ports(veth); }

std::optional<Egress> SystemKernel::default_route_device() { return net::default_route_device(socket(kHostNetns)); }
std::optional<Egress> SystemKernel::egress_device(const std::string& name) {
  return net::egress_device(socket(kHostNetns), name);
}
std::optional<uint64_t> SystemKernel::link_speed(const std::string& name) { return net::link_speed(name); }
std::optional<RootQdisc> SystemKernel::root_qdisc(unsigned ifindex) {
  return net::root_qdisc(socket(kHostNetns), ifindex);
}
void SystemKernel::create_htb_root(unsigned ifindex, uint64_t link_bytes, uint64_t default_bytes) {
  net::create_htb_root(socket(kHostNetns), ifindex, link_bytes, default_bytes);
}
bool SystemKernel::delete_htb_root(unsigned ifindex) { return net::delete_htb_root(socket(kHostNetns), ifindex); }
void SystemKernel::set_htb_class(unsigned ifindex, const HtbClass& c, bool create) {
  net::set_htb_class(socket(kHostNetns), ifindex, c, create);
}
bool SystemKernel::delete_htb_class(unsigned ifindex, uint32_t minor) {
  return net::delete_htb_class(socket(kHostNetns), ifindex, minor);
}
std::optional<ClassCounters> SystemKernel::htb_class_counters(unsigned ifindex, uint32_t minor) {
  return net::htb_class_counters(socket(kHostNetns), ifindex, minor);
}

void SystemKernel::tag_cgroup(const std::string& id, unsigned level, uint64_t cgroup_id, uint32_t classid) {
  net::tag_cgroup(id, level, cgroup_id, classid);
}
void SystemKernel::tag_veth(const std::string& id, const std::string& veth, uint32_t classid) {
  net::tag_veth(id, veth, classid);
}
void SystemKernel::untag(const std::string& id) { net::untag(id); }
void SystemKernel::remove_chains() { net::remove_chains(); }
void SystemKernel::remove_table_if_unused() { net::remove_table_if_unused(); }

}  // namespace vcrun::net
