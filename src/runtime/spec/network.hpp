// vcrun.network's checks (runtime/spec/network.cpp), also run on quick mode's network.
#pragma once

#include "vcrun/spec.hpp"

namespace vcrun::spec_detail {

// Consistency of values parsed already (the JSON parser or quick mode's flags parsed each
// once): a bridge name that can be an interface name, an address inside the subnet, a new
// network namespace for bridge mode, no host port published twice. What depends on the
// host (routes, existing links, leases, ports other containers publish) is checked at
// create. Errors name the config.json path ("vcrun.network.ip", "vcrun.network.publish[1]").
void validate_network(const NetworkSpec& n, const Linux& l);

// The shaping fields alone (rate, ceil, share, egress, linkRate): host or bridge mode,
// share in 0..1000, a capped share 0 with a rate, ceil not below rate, an interface name.
// validate_network runs it.
void validate_shaping(const NetworkSpec& n, const Linux& l);

}  // namespace vcrun::spec_detail
