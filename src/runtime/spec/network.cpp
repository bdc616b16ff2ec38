// vcrun.network: its checks, with the names of the fields (or flags) that set it.
#include "runtime/spec/network.hpp"

#include "base/text.hpp"
#include "net/values/ipv4.hpp"
#include "net/values/rate.hpp"
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

void validate_shaping(const NetworkSpec& n, const Linux& l, const NetworkFields& f) {
  const std::string* given = n.rate ? &f.rate : n.ceil ? &f.ceil : n.share ? &f.share : nullptr;
  if (!given) {
    if (!n.egress.empty()) throw SpecError(f.egress, "needs " + f.rate + ", " + f.ceil + " or " + f.share);
    if (n.link_rate) throw SpecError(f.link_rate, "needs " + f.rate + ", " + f.ceil + " or " + f.share);
    return;
  }
  const Namespace* netns = nullptr;
  for (const auto& ns : l.namespaces)
    if (ns.type == NamespaceType::network) netns = &ns;
  if (n.mode != NetworkMode::bridge && netns)
    throw SpecError(*given, "shapes host or bridge mode only (this container has a network namespace of its own" +
                                std::string(netns->path.empty() ? "" : " joined by path") + " without a bridge)");
  if (n.share && (!(*n.share >= 0) || *n.share > 1000))
    throw SpecError(f.share, "must be between 0 and 1000, got " + std::to_string(*n.share));
  if (n.share && *n.share == 0 && !n.rate) throw SpecError(f.share, "0 (capped) needs " + f.rate);
  if (n.rate && n.ceil && *n.ceil < *n.rate)
    throw SpecError(f.ceil, net::rate_text(*n.ceil) + " is below " + f.rate + " " + net::rate_text(*n.rate));
  if (n.rate && n.link_rate && *n.rate > *n.link_rate)
    throw SpecError(f.rate, net::rate_text(*n.rate) + " is above " + f.link_rate + " " + net::rate_text(*n.link_rate));
  if (!n.egress.empty() && !valid_ifname(n.egress))
    throw SpecError(f.egress, "must be an interface name of 1 to 15 characters without '/', ':' or spaces, got " +
                                  quoted(n.egress));
}

void validate_network(const NetworkSpec& n, const Linux& l, const NetworkFields& f) {
  validate_shaping(n, l, f);
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
