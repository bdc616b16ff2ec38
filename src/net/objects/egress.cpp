// Egress device lookups (egress.hpp).
#include "net/objects/egress.hpp"

#include <linux/ethtool.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "base/fd.hpp"
#include "net/objects/links.hpp"
#include "net/objects/routes.hpp"
#include "vcrun/error.hpp"

namespace vcrun::net {

std::optional<Egress> default_route_device(net::Socket& nl) {
  for (const auto& r : net::main_routes(nl)) {
    if (r.destination.prefix != 0 || r.oif == 0) continue;
    if (auto link = net::find_link(nl, r.oif)) return Egress{link->name, r.oif};
  }
  return std::nullopt;
}

std::optional<Egress> egress_device(net::Socket& nl, const std::string& name) {
  auto link = net::find_link(nl, name);
  if (!link) return std::nullopt;
  return Egress{name, link->index};
}

std::optional<uint64_t> link_speed(const std::string& name) {
  UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) return std::nullopt;
  ethtool_cmd cmd{};
  cmd.cmd = ETHTOOL_GSET;
  ifreq ifr{};
  ::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  ifr.ifr_data = reinterpret_cast<char*>(&cmd);
  if (::ioctl(s.get(), SIOCETHTOOL, &ifr) != 0) return std::nullopt;
  uint32_t mbit = ethtool_cmd_speed(&cmd);
  if (mbit == 0 || mbit == static_cast<uint32_t>(SPEED_UNKNOWN)) return std::nullopt;
  return static_cast<uint64_t>(mbit) * 1000000;
}

}  // namespace vcrun::net
