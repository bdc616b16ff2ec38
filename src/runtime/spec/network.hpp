// vcrun.network's checks (runtime/spec/network.cpp), also run by quick mode's --net/--ip.
#pragma once

#include <string>
#include <vector>

#include "net/objects/publish.hpp"
#include "vcrun/spec.hpp"

namespace vcrun::spec_detail {

// The names errors give each field: the config.json path, or the flag that set it.
struct NetworkFields {
  std::string mode = "vcrun.network.mode";
  std::string ip = "vcrun.network.ip";
  std::string bridge = "vcrun.network.bridge";
  std::string subnet = "vcrun.network.subnet";
  std::string rate = "vcrun.network.rate";
  std::string ceil = "vcrun.network.ceil";
  std::string share = "vcrun.network.share";
  std::string egress = "vcrun.network.egress";
  std::string link_rate = "vcrun.network.linkRate";
  std::string publish = "vcrun.network.publish";
  bool publish_indexed = true;  // "vcrun.network.publish[i]"; a flag is named as it is
};

// Syntax and consistency: a bridge name that can be an interface name, a subnet with room
// for a gateway and a container, an address inside it, a new network namespace for bridge
// mode, published ports in docker's form, no host port twice. What depends on the host
// (routes, existing links, leases, ports other containers publish) is checked at create.
void validate_network(const NetworkSpec& n, const Linux& l, const NetworkFields& f = {});

// The published ports of `publish`; SpecError naming the entry when one is malformed or
// repeats a host port.
std::vector<net::Published> parse_publish(const std::vector<std::string>& publish, const NetworkFields& f = {});

// The shaping fields alone (rate, ceil, share, egress, linkRate): host or bridge mode,
// share in 0..1000, a capped share 0 with a rate, ceil not below rate, an interface name.
// validate_network runs it; `vcrun update` runs it on the changed values.
void validate_shaping(const NetworkSpec& n, const Linux& l, const NetworkFields& f = {});

}  // namespace vcrun::spec_detail
