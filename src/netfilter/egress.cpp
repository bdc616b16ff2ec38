// Egress device lookups (egress.hpp).
#include "netfilter/egress.hpp"

#include <linux/ethtool.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "base/fd.hpp"
#include "netfilter/links.hpp"
#include "netfilter/routes.hpp"
#include "vcrun/error.hpp"

namespace vcrun::net {

namespace {

std::optional<std::string> link_name(netlink::Socket& nl, unsigned index) {
  netlink::Message m;
  nlmsghdr* h = m.header(RTM_GETLINK, 0);
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(h, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = static_cast<int>(index);
  std::optional<std::string> name;
  try {
    nl.query(h, false, [&](const nlmsghdr* reply) {
      netlink::for_each_attr(reply, sizeof(ifinfomsg), [&](const nlattr* a) {
        if (mnl_attr_get_type(a) != IFLA_IFNAME) return;
        const auto* text = static_cast<const char*>(mnl_attr_get_payload(a));
        name = std::string(text, ::strnlen(text, mnl_attr_get_payload_len(a)));
      });
    }, "look up link " + std::to_string(index));
  } catch (const Error& e) {
    if (e.code() == ENODEV) return std::nullopt;
    throw;
  }
  return name;
}

}  // namespace

std::optional<Egress> default_route_device(netlink::Socket& nl) {
  for (const auto& r : netlink::main_routes(nl)) {
    if (r.destination.prefix != 0 || r.oif == 0) continue;
    if (auto name = link_name(nl, r.oif)) return Egress{*name, r.oif};
  }
  return std::nullopt;
}

std::optional<Egress> egress_device(netlink::Socket& nl, const std::string& name) {
  auto link = netlink::find_link(nl, name);
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
