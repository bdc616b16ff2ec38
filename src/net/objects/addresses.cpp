// IPv4 addresses over rtnetlink (RTM_NEWADDR, RTM_GETADDR) built with libmnl.
#include "net/objects/addresses.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "vcrun/error.hpp"

namespace vcrun::net {

namespace {

// An RTM_NEWADDR or RTM_DELADDR of `addr`/`prefix` on `ifindex`.
void put_address(nlmsghdr* h, unsigned ifindex, net::Ipv4 addr, unsigned prefix) {
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(h, sizeof(ifaddrmsg)));
  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = static_cast<unsigned char>(prefix);
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = ifindex;
  uint32_t be = htonl(addr.value);
  mnl_attr_put_u32(h, IFA_LOCAL, be);
  mnl_attr_put_u32(h, IFA_ADDRESS, be);
  net::Ipv4Net subnet{{addr.value & net::Ipv4Net{{0}, prefix}.mask()}, prefix};
  mnl_attr_put_u32(h, IFA_BROADCAST, htonl(subnet.broadcast().value));
}

}  // namespace

void add_address(Socket& nl, unsigned ifindex, net::Ipv4 addr, unsigned prefix, bool exist_ok) {
  Message m;
  nlmsghdr* h = m.header(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  put_address(h, ifindex, addr, prefix);
  try {
    nl.request(h, "add address " + net::to_string(addr) + "/" + std::to_string(prefix));
  } catch (const Error& e) {
    if (!(exist_ok && e.code() == EEXIST)) throw;
  }
}

bool remove_address(Socket& nl, unsigned ifindex, net::Ipv4 addr, unsigned prefix) {
  Message m;
  nlmsghdr* h = m.header(RTM_DELADDR, 0);
  put_address(h, ifindex, addr, prefix);
  try {
    nl.request(h, "remove address " + net::to_string(addr) + "/" + std::to_string(prefix));
  } catch (const Error& e) {
    if (e.code() == EADDRNOTAVAIL || e.code() == ENODEV) return false;
    throw;
  }
  return true;
}

std::vector<LinkAddress> ipv4_addresses(Socket& nl) {
  Message m;
  nlmsghdr* h = m.header(RTM_GETADDR, 0);
  auto* req = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(h, sizeof(ifaddrmsg)));
  req->ifa_family = AF_INET;
  std::vector<LinkAddress> out;
  nl.query(h, true, [&](const nlmsghdr* reply) {
    if (reply->nlmsg_type != RTM_NEWADDR) return;
    const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(reply));
    if (ifa->ifa_family != AF_INET) return;
    LinkAddress a{ifa->ifa_index, {}, ifa->ifa_prefixlen};
    bool local = false;
    // IFA_LOCAL is the link's address; IFA_ADDRESS is the peer's on a point-to-point link.
    for_each_attr(reply, sizeof(ifaddrmsg), [&](const nlattr* attr) {
      auto type = mnl_attr_get_type(attr);
      if ((type == IFA_LOCAL || (type == IFA_ADDRESS && !local)) && mnl_attr_validate(attr, MNL_TYPE_U32) >= 0) {
        a.address.value = ntohl(mnl_attr_get_u32(attr));
        local = local || type == IFA_LOCAL;
      }
    });
    out.push_back(a);
  }, "list addresses");
  return out;
}

}  // namespace vcrun::net
