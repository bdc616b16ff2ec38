// vcrun.network's checks (runtime/spec/network.cpp), also run by quick mode's --net/--ip.
#pragma once

#include <string>

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
};

// Syntax and consistency: a bridge name that can be an interface name, a subnet with room
// for a gateway and a container, an address inside it, a new network namespace for bridge
// mode. What depends on the host (routes, existing links, leases) is checked at create.
void validate_network(const NetworkSpec& n, const Linux& l, const NetworkFields& f = {});

// The shaping fields alone (rate, ceil, share, egress, linkRate): host or bridge mode,
// share in 0..1000, a capped share 0 with a rate, ceil not below rate, an interface name.
// validate_network runs it; `vcrun update` runs it on the changed values.
void validate_shaping(const NetworkSpec& n, const Linux& l, const NetworkFields& f = {});

}  // namespace vcrun::spec_detail
