// Links over rtnetlink (RTM_NEWLINK, RTM_GETLINK, RTM_DELLINK) built with libmnl.
#include "net/objects/links.hpp"

#include <errno.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <string.h>

#include "vcrun/error.hpp"

namespace vcrun::net {

namespace {

ifinfomsg* put_ifinfo(nlmsghdr* h, unsigned index, unsigned flags) {
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(h, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = static_cast<int>(index);
  ifi->ifi_flags = flags;
  ifi->ifi_change = flags;
  return ifi;
}

std::string text_of(const nlattr* a) {
  const auto* text = static_cast<const char*>(mnl_attr_get_payload(a));
  return std::string(text, ::strnlen(text, mnl_attr_get_payload_len(a)));
}

// The link of RTM_NEWLINK message `h`: its index, name and kind.
LinkInfo link_of(const nlmsghdr* h) {
  const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(h));
  LinkInfo link{static_cast<unsigned>(ifi->ifi_index), "", ""};
  for_each_attr(h, sizeof(ifinfomsg), [&](const nlattr* attr) {
    if (mnl_attr_get_type(attr) == IFLA_IFNAME) link.name = text_of(attr);
    if (mnl_attr_get_type(attr) != IFLA_LINKINFO) return;
    for_each_nested(attr, [&](const nlattr* info) {
      if (mnl_attr_get_type(info) == IFLA_INFO_KIND) link.kind = text_of(info);
    });
  });
  return link;
}

// RTM_GETLINK of the link with `index`, or (index 0) the one called `name`.
std::optional<LinkInfo> get_link(Socket& nl, unsigned index, const std::string& name) {
  Message m;
  nlmsghdr* h = m.header(RTM_GETLINK, 0);
  put_ifinfo(h, index, 0);
  if (!index) mnl_attr_put_strz(h, IFLA_IFNAME, name.c_str());
  std::optional<LinkInfo> found;
  try {
    nl.query(h, false, [&](const nlmsghdr* reply) { found = link_of(reply); },
             "look up link " + (index ? std::to_string(index) : name));
  } catch (const Error& e) {
    if (e.code() == ENODEV) return std::nullopt;
    throw;
  }
  return found;
}

}  // namespace

std::optional<LinkInfo> find_link(Socket& nl, const std::string& name) { return get_link(nl, 0, name); }

std::optional<LinkInfo> find_link(Socket& nl, unsigned index) { return get_link(nl, index, ""); }

void set_link_up(Socket& nl, unsigned ifindex) {
  Message m;
  nlmsghdr* h = m.header(RTM_NEWLINK, 0);
  put_ifinfo(h, ifindex, IFF_UP);
  nl.request(h, "set link " + std::to_string(ifindex) + " up");
}

void create_bridge(Socket& nl, const std::string& name) {
  Message m;
  nlmsghdr* h = m.header(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  put_ifinfo(h, 0, IFF_UP);
  mnl_attr_put_strz(h, IFLA_IFNAME, name.c_str());
  nlattr* info = mnl_attr_nest_start(h, IFLA_LINKINFO);
  mnl_attr_put_strz(h, IFLA_INFO_KIND, "bridge");
  mnl_attr_nest_end(h, info);
  nl.request(h, "create bridge " + name);
}

void create_veth(Socket& nl, const std::string& name, unsigned master, const std::string& peer_name,
                 int peer_netns_fd) {
  Message m;
  nlmsghdr* h = m.header(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  put_ifinfo(h, 0, 0);
  mnl_attr_put_strz(h, IFLA_IFNAME, name.c_str());
  nlattr* info = mnl_attr_nest_start(h, IFLA_LINKINFO);
  mnl_attr_put_strz(h, IFLA_INFO_KIND, "veth");
  nlattr* data = mnl_attr_nest_start(h, IFLA_INFO_DATA);
  nlattr* peer = mnl_attr_nest_start(h, VETH_INFO_PEER);
  // The peer's attributes follow an ifinfomsg of its own inside VETH_INFO_PEER.
  auto* peer_ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(h, sizeof(ifinfomsg)));
  peer_ifi->ifi_family = AF_UNSPEC;  // down: a veth cannot go up before its pair is made
  mnl_attr_put_strz(h, IFLA_IFNAME, peer_name.c_str());
  mnl_attr_put_u32(h, IFLA_NET_NS_FD, static_cast<uint32_t>(peer_netns_fd));
  mnl_attr_nest_end(h, peer);
  mnl_attr_nest_end(h, data);
  mnl_attr_nest_end(h, info);
  nl.request(h, "create veth " + name);
  // Enslaved and up once the pair exists (veth_open: ENOTCONN without a peer).
  Message up;
  nlmsghdr* u = up.header(RTM_NEWLINK, 0);
  put_ifinfo(u, 0, IFF_UP);
  mnl_attr_put_strz(u, IFLA_IFNAME, name.c_str());
  mnl_attr_put_u32(u, IFLA_MASTER, master);
  nl.request(u, "attach veth " + name + " to its bridge");
}

bool disconnect_link(Socket& nl, unsigned ifindex) {
  Message m;
  nlmsghdr* h = m.header(RTM_NEWLINK, 0);
  ifinfomsg* ifi = put_ifinfo(h, ifindex, 0);
  ifi->ifi_change = IFF_UP;  // down
  mnl_attr_put_u32(h, IFLA_MASTER, 0);
  try {
    nl.request(h, "disconnect link " + std::to_string(ifindex));
  } catch (const Error& e) {
    if (e.code() == ENODEV) return false;
    throw;
  }
  return true;
}

bool delete_link(Socket& nl, const std::string& name) {
  Message m;
  nlmsghdr* h = m.header(RTM_DELLINK, 0);
  put_ifinfo(h, 0, 0);
  mnl_attr_put_strz(h, IFLA_IFNAME, name.c_str());
  try {
    nl.request(h, "delete link " + name);
  } catch (const Error& e) {
    if (e.code() == ENODEV) return false;
    throw;
  }
  return true;
}

void set_link_up(unsigned ifindex) {
  Socket nl(NETLINK_ROUTE);
  set_link_up(nl, ifindex);
}

}  // namespace vcrun::net
