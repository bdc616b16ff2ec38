// What this folder's parsers share: the counters behind net_value_parses()
// (vcrun/net_values.hpp) and the uncounted IPv4 parse a larger value uses for its parts.
#pragma once

#include "vcrun/net_values.hpp"

namespace vcrun::net_values_detail {

extern NetValueParses parses;

// parse_ipv4 without counting.
std::optional<Ipv4> ipv4_of(const std::string& text);

}  // namespace vcrun::net_values_detail
