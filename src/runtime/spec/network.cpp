// vcrun.network: its checks, with the names of the fields (or flags) that set it.
#include "runtime/spec/network.hpp"

#include "base/text.hpp"
#include "netfilter/ipv4.hpp"
#include "vcrun/error.hpp"

namespace vcrun::spec_detail {

namespace {

bool valid_ifname(const std::string& name) {
  if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
  for (unsigned char c : name)
    if (c <= ' ' || c == '/' || c == ':' || c >= 0x7f) return false;
  return true;
}

}  // namespace

std::vector<net::Published> parse_publish(const std::vector<std::string>& publish, const NetworkFields& f) {
  std::vector<net::Published> out;
  for (size_t i = 0; i < publish.size(); ++i) {
    std::string field = f.publish_indexed ? indexed(f.publish, i) : f.publish;
    net::Published p = net::parse_published(publish[i], field);
    for (const auto& q : out)
      if (q.proto == p.proto && q.host_port == p.host_port && (!q.host_ip || !p.host_ip || *q.host_ip == *p.host_ip))
        throw SpecError(field, "host port " + net::host_port_name(p) + " is published twice");
    out.push_back(p);
  }
  return out;
}

void validate_network(const NetworkSpec& n, const Linux& l, const NetworkFields& f) {
  if (n.mode != NetworkMode::bridge) {
    for (auto [field, value] : {std::pair{&f.ip, &n.ip}, {&f.bridge, &n.bridge}, {&f.subnet, &n.subnet}})
      if (!value->empty()) throw SpecError(*field, "is for bridge mode only (" + f.mode + " is " + network_mode_name(n.mode) + ")");
    if (!n.publish.empty())
      throw SpecError(f.publish, "is for bridge mode only (" + f.mode + " is " + network_mode_name(n.mode) + ")");
    return;
  }
  const Namespace* netns = nullptr;
  for (const auto& ns : l.namespaces)
    if (ns.type == NamespaceType::network) netns = &ns;
  if (!netns)
    throw SpecError(f.mode, "bridge mode needs a network namespace in linux.namespaces");
  if (!netns->path.empty())
    throw SpecError(f.mode, "bridge mode needs a new network namespace, not one joined by path " + quoted(netns->path));
  if (!n.bridge.empty() && !valid_ifname(n.bridge))
    throw SpecError(f.bridge, "must be an interface name of 1 to 15 characters without '/', ':' or spaces, got " + quoted(n.bridge));
  std::string why;
  auto subnet = net::parse_ipv4_net(n.subnet.empty() ? net::kDefaultSubnet : n.subnet, &why);
  if (!subnet) throw SpecError(f.subnet, why + ", got " + quoted(n.subnet));
  if (subnet->prefix < 8 || subnet->prefix > 30)
    throw SpecError(f.subnet, "must have a prefix length from 8 to 30, got " + quoted(n.subnet));
  if (!n.ip.empty()) {
    auto ip = net::parse_ipv4(n.ip);
    if (!ip) throw SpecError(f.ip, "must be an IPv4 address, got " + quoted(n.ip));
    if (!subnet->assignable(*ip))
      throw SpecError(f.ip, quoted(n.ip) + " is not a container address of the subnet " + net::to_string(*subnet) +
                                " (" + net::to_string(subnet->gateway()) + " is the bridge's)");
  }
  parse_publish(n.publish, f);
}

}  // namespace vcrun::spec_detail
