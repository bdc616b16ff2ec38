// The egress device to shape: its name and index, the default route's device, and the
// link speed the device reports (ethtool).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "net/transport/netlink.hpp"

namespace vcrun::net {

struct Egress {
  std::string name;
  unsigned index = 0;
};

// The device of the IPv4 default route in the socket's namespace; nullopt when there is no
// default route through one device.
std::optional<Egress> default_route_device(net::Socket& nl);

// The device `name`; nullopt when there is none.
std::optional<Egress> egress_device(net::Socket& nl, const std::string& name);

// The link speed of `name` in bits per second (ETHTOOL_GSET); nullopt when the driver does
// not know it (loopback, tun, a bridge, a veth whose peer is gone, ...).
std::optional<uint64_t> link_speed(const std::string& name);

}  // namespace vcrun::net
