// The real net::Kernel: each call is the objects/ function of the same name, over a
// rtnetlink socket opened at its first use (one for the caller's namespace, one for the
// last other namespace asked for), so making one costs nothing until it is used.
#pragma once

#include <optional>

#include "net/kernel.hpp"
#include "net/transport/netlink.hpp"

namespace vcrun::net {

class SystemKernel final : public Kernel {
 public:
  std::optional<LinkInfo> find_link(const std::string& name, int netns) override;
  void set_link_up(unsigned ifindex, int netns) override;
  void create_bridge(const std::string& name) override;
  void create_veth(const std::string& name, unsigned master, const std::string& peer_name, int peer_netns_fd) override;
  bool disconnect_link(unsigned ifindex) override;
  bool delete_link(const std::string& name) override;
  void add_address(unsigned ifindex, Ipv4 addr, unsigned prefix, bool exist_ok, int netns) override;
  bool remove_address(unsigned ifindex, Ipv4 addr, unsigned prefix) override;
  std::vector<Route> main_routes() override;
  void add_default_route(Ipv4 gateway, unsigned ifindex, int netns) override;
  void enable_forwarding() override;

  bool masquerade_present(const std::string& bridge) override;
  void ensure_masquerade(const std::string& bridge, const Ipv4Net& subnet) override;
  void check_host_ports(const std::vector<Published>& ports, const std::vector<Ipv4Net>& subnets,
                        const std::function<std::string(size_t)>& field) override;
  void publish_ports(const std::string& veth, Ipv4 container, const std::vector<Published>& ports) override;
  void unpublish_ports(const std::string& veth) override;

  std::optional<Egress> default_route_device() override;
  std::optional<Egress> egress_device(const std::string& name) override;
  std::optional<uint64_t> link_speed(const std::string& name) override;
  std::optional<RootQdisc> root_qdisc(unsigned ifindex) override;
  void create_htb_root(unsigned ifindex, uint64_t link_bytes, uint64_t default_bytes) override;
  bool delete_htb_root(unsigned ifindex) override;
  void set_htb_class(unsigned ifindex, const HtbClass& c, bool create) override;
  bool delete_htb_class(unsigned ifindex, uint32_t minor) override;
  std::optional<ClassCounters> htb_class_counters(unsigned ifindex, uint32_t minor) override;

  void tag_cgroup(const std::string& id, unsigned level, uint64_t cgroup_id, uint32_t classid) override;
  void tag_veth(const std::string& id, const std::string& veth, uint32_t classid) override;
  void untag(const std::string& id) override;
  void remove_chains() override;
  void remove_table_if_unused() override;

 private:
  Socket& socket(int netns);

  std::optional<Socket> host_;
  std::optional<Socket> other_;
  int other_fd_ = -1;
};

}  // namespace vcrun::net
