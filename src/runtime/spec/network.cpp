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

void validate_network(const NetworkSpec& n, const Linux& l, const NetworkFields& f) {
  if (n.mode != NetworkMode::bridge) {
    for (auto [field, value] : {std::pair{&f.ip, &n.ip}, {&f.bridge, &n.bridge}, {&f.subnet, &n.subnet}})
      if (!value->empty()) throw SpecError(*field, "is for bridge mode only (" + f.mode + " is " + network_mode_name(n.mode) + ")");
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
}

}  // namespace vcrun::spec_detail
