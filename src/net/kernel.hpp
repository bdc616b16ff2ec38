// net::Kernel: the seam between the network policy (bridge, shaping) and the kernel objects
// it asks for: links, addresses, routes, HTB, NAT, publishing and classify rules. The
// real one (system_kernel.hpp) delegates to objects/; unit tests use a fake that keeps
// them in memory, so the policy's order, records and undo are tested without root.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "net/objects/egress.hpp"
#include "net/objects/htb.hpp"
#include "net/objects/links.hpp"
#include "net/objects/publish.hpp"
#include "net/objects/routes.hpp"
#include "net/values/ipv4.hpp"

namespace vcrun::net {

// The network namespace a call is about: the caller's (kHostNetns) or the one of an fd.
inline constexpr int kHostNetns = -1;

class Kernel {
 public:
  virtual ~Kernel() = default;

  // Links, addresses and routes (links.hpp, addresses.hpp, routes.hpp).
  virtual std::optional<LinkInfo> find_link(const std::string& name, int netns = kHostNetns) = 0;
  virtual void set_link_up(unsigned ifindex, int netns = kHostNetns) = 0;
  virtual void create_bridge(const std::string& name) = 0;
  virtual void create_veth(const std::string& name, unsigned master, const std::string& peer_name,
                           int peer_netns_fd) = 0;
  virtual bool disconnect_link(unsigned ifindex) = 0;
  virtual bool delete_link(const std::string& name) = 0;
  virtual void add_address(unsigned ifindex, Ipv4 addr, unsigned prefix, bool exist_ok,
                           int netns = kHostNetns) = 0;
  virtual bool remove_address(unsigned ifindex, Ipv4 addr, unsigned prefix) = 0;
  virtual std::vector<Route> main_routes() = 0;
  virtual void add_default_route(Ipv4 gateway, unsigned ifindex, int netns) = 0;
  // net.ipv4.ip_forward = 1 (a no-op when it is).
  virtual void enable_forwarding() = 0;

  // The bridge's outbound NAT (nat.hpp) and published ports (publish.hpp).
  virtual bool masquerade_present(const std::string& bridge) = 0;
  virtual void ensure_masquerade(const std::string& bridge, const Ipv4Net& subnet) = 0;
  virtual void check_host_ports(const std::vector<Published>& ports, const std::vector<Ipv4Net>& subnets,
                                const std::function<std::string(size_t)>& field) = 0;
  virtual void publish_ports(const std::string& veth, Ipv4 container, const std::vector<Published>& ports) = 0;
  virtual void unpublish_ports(const std::string& veth) = 0;

  // The egress device (egress.hpp) and vcrun's HTB tree on it (htb.hpp).
  virtual std::optional<Egress> default_route_device() = 0;
  virtual std::optional<Egress> egress_device(const std::string& name) = 0;
  virtual std::optional<uint64_t> link_speed(const std::string& name) = 0;
  virtual std::optional<RootQdisc> root_qdisc(unsigned ifindex) = 0;
  virtual void create_htb_root(unsigned ifindex, uint64_t link_bytes, uint64_t default_bytes) = 0;
  virtual bool delete_htb_root(unsigned ifindex) = 0;
  virtual void set_htb_class(unsigned ifindex, const HtbClass& c, bool create) = 0;
  virtual bool delete_htb_class(unsigned ifindex, uint32_t minor) = 0;
  virtual std::optional<ClassCounters> htb_class_counters(unsigned ifindex, uint32_t minor) = 0;

  // The rules tagging a container's packets with its class (classify.hpp), and vcrun's
  // table when nothing is left in it (nat.hpp).
  virtual void tag_cgroup(const std::string& id, unsigned level, uint64_t cgroup_id, uint32_t classid) = 0;
  virtual void tag_veth(const std::string& id, const std::string& veth, uint32_t classid) = 0;
  virtual void untag(const std::string& id) = 0;
  virtual void remove_chains() = 0;
  virtual void remove_table_if_unused() = 0;
};

}  // namespace vcrun::net
