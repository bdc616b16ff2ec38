// IPv4 addresses and subnets for the network module: the public value types
// (vcrun/net_values.hpp, parsed and printed in ipv4.cpp) under vcrun::net's names. Pure.
#pragma once

#include "vcrun/net_values.hpp"

namespace vcrun::net {

using vcrun::Ipv4;
using vcrun::Ipv4Net;
using vcrun::kDefaultBridge;
using vcrun::kDefaultSubnet;
using vcrun::parse_ipv4;
using vcrun::parse_ipv4_net;
using vcrun::to_string;

}  // namespace vcrun::net
