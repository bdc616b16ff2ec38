// Link rates for the network module: tc's units (vcrun/net_values.hpp, rate.cpp) under
// vcrun::net's names. Pure.
#pragma once

#include "vcrun/net_values.hpp"

namespace vcrun::net {

using vcrun::parse_rate;
using vcrun::rate_text;

}  // namespace vcrun::net
