// vcrun.network: its checks, naming the config.json path of each field.
#include "runtime/spec/network.hpp"

#include "base/text.hpp"
#include "vcrun/error.hpp"
#include "vcrun/net_values.hpp"

namespace vcrun::spec_detail {

namespace {

constexpr const char* kMode = "vcrun.network.mode";
constexpr const char* kRate = "vcrun.network.rate";
constexpr const char* kCeil = "vcrun.network.ceil";
constexpr const char* kShare = "vcrun.network.share";
constexpr const char* kEgress = "vcrun.network.egress";
constexpr const char* kLinkRate = "vcrun.network.linkRate";
constexpr const char* kPublish = "vcrun.network.publish";
const std::string kShapingFields = std::string(kRate) + ", " + kCeil + " or " + kShare;

bool valid_ifname(const std::string& name) {
  if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
  for (unsigned char c : name)
    if (c <= ' ' || c == '/' || c == ':' || c >= 0x7f) return false;
  return true;
}

void check_published_once(const std::vector<PublishedPort>& publish) {
  for (size_t i = 0; i < publish.size(); ++i)
    for (size_t j = 0; j < i; ++j) {
      const PublishedPort &p = publish[i], &q = publish[j];
      if (q.proto == p.proto && q.host_port == p.host_port && (!q.host_ip || !p.host_ip || *q.host_ip == *p.host_ip))
        throw SpecError(indexed(kPublish, i), "host port " + host_port_name(p) + " is published twice");
    }
}

}  // namespace

void validate_shaping(const NetworkSpec& n, const Linux& l) {
  const char* given = n.rate ? kRate : n.ceil ? kCeil : n.share ? kShare : nullptr;
  if (!given) {
    if (!n.egress.empty()) throw SpecError(kEgress, "needs " + kShapingFields);
    if (n.link_rate) throw SpecError(kLinkRate, "needs " + kShapingFields);
    return;
  }
  const Namespace* netns = nullptr;
  for (const auto& ns : l.namespaces)
    if (ns.type == NamespaceType::network) netns = &ns;
  if (n.mode == NetworkMode::none && netns)
    throw SpecError(given, "shapes host or bridge mode only (this container has a network namespace of its own" +
                               std::string(netns->path.empty() ? "" : " joined by path") + " without a bridge)");
  if (n.share && (!(*n.share >= 0) || *n.share > 1000))
    throw SpecError(kShare, "must be between 0 and 1000, got " + std::to_string(*n.share));
  if (n.share && *n.share == 0 && !n.rate) throw SpecError(kShare, std::string("0 (capped) needs ") + kRate);
  if (n.rate && n.ceil && *n.ceil < *n.rate)
    throw SpecError(kCeil, rate_text(*n.ceil) + " is below " + kRate + " " + rate_text(*n.rate));
  if (n.rate && n.link_rate && *n.rate > *n.link_rate)
    throw SpecError(kRate, rate_text(*n.rate) + " is above " + kLinkRate + " " + rate_text(*n.link_rate));
  if (!n.egress.empty() && !valid_ifname(n.egress))
    throw SpecError(kEgress, "must be an interface name of 1 to 15 characters without '/', ':' or spaces, got " +
                                 quoted(n.egress));
}

void validate_network(const NetworkSpec& n, const Linux& l) {
  const Namespace* netns = nullptr;
  for (const auto& ns : l.namespaces)
    if (ns.type == NamespaceType::network) netns = &ns;
  if (n.mode == NetworkMode::host && netns)
    throw SpecError(kMode, "host mode shares the caller's network namespace: linux.namespaces must not have one");
  validate_shaping(n, l);
  if (n.mode != NetworkMode::bridge) {
    std::string why = std::string("is for bridge mode only (") + kMode + " is " + network_mode_name(n.mode) + ")";
    if (n.ip) throw SpecError("vcrun.network.ip", why);
    if (!n.bridge.empty()) throw SpecError("vcrun.network.bridge", why);
    if (n.subnet) throw SpecError("vcrun.network.subnet", why);
    if (!n.publish.empty()) throw SpecError(kPublish, why);
    return;
  }
  if (!netns)
    throw SpecError(kMode, "bridge mode needs a network namespace in linux.namespaces");
  if (!netns->path.empty())
    throw SpecError(kMode, "bridge mode needs a new network namespace, not one joined by path " + quoted(netns->path));
  if (!n.bridge.empty() && !valid_ifname(n.bridge))
    throw SpecError("vcrun.network.bridge",
                    "must be an interface name of 1 to 15 characters without '/', ':' or spaces, got " + quoted(n.bridge));
  // The subnet's syntax was checked where it was parsed.
  Ipv4Net subnet = n.subnet.value_or(kDefaultSubnetNet);
  if (subnet.prefix < 8 || subnet.prefix > 30)
    throw SpecError("vcrun.network.subnet", "must have a prefix length from 8 to 30, got " + quoted(to_string(subnet)));
  if (n.ip && !subnet.assignable(*n.ip))
    throw SpecError("vcrun.network.ip", quoted(to_string(*n.ip)) + " is not a container address of the subnet " +
                                            to_string(subnet) + " (" + to_string(subnet.gateway()) + " is the bridge's)");
  check_published_once(n.publish);
}

}  // namespace vcrun::spec_detail
