// IPv4 routes over rtnetlink (RTM_GETROUTE, RTM_NEWROUTE) built with libmnl.
#include "net/objects/routes.hpp"

#include <arpa/inet.h>
#include <linux/rtnetlink.h>

namespace vcrun::net {

namespace {

rtmsg* put_rtmsg(nlmsghdr* h) {
  auto* rt = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(h, sizeof(rtmsg)));
  rt->rtm_family = AF_INET;
  return rt;
}

}  // namespace

std::vector<Route> main_routes(Socket& nl) {
  Message m;
  nlmsghdr* h = m.header(RTM_GETROUTE, 0);
  put_rtmsg(h);
  std::vector<Route> routes;
  nl.query(h, true, [&](const nlmsghdr* reply) {
    if (reply->nlmsg_type != RTM_NEWROUTE) return;
    const auto* rt = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(reply));
    if (rt->rtm_family != AF_INET) return;
    Route r;
    r.destination.prefix = rt->rtm_dst_len;
    uint32_t table = rt->rtm_table;
    for_each_attr(reply, sizeof(rtmsg), [&](const nlattr* attr) {
      switch (mnl_attr_get_type(attr)) {
        case RTA_DST:
          if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0) r.destination.base.value = ntohl(mnl_attr_get_u32(attr));
          break;
        case RTA_OIF:
          if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0) r.oif = mnl_attr_get_u32(attr);
          break;
        case RTA_TABLE:
          if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0) table = mnl_attr_get_u32(attr);
          break;
        default: break;
      }
    });
    if (table == RT_TABLE_MAIN) routes.push_back(r);
  }, "list routes");
  return routes;
}

void add_default_route(Socket& nl, net::Ipv4 gateway, unsigned ifindex) {
  Message m;
  nlmsghdr* h = m.header(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  rtmsg* rt = put_rtmsg(h);
  rt->rtm_table = RT_TABLE_MAIN;
  rt->rtm_protocol = RTPROT_BOOT;
  rt->rtm_scope = RT_SCOPE_UNIVERSE;
  rt->rtm_type = RTN_UNICAST;
  mnl_attr_put_u32(h, RTA_GATEWAY, htonl(gateway.value));
  mnl_attr_put_u32(h, RTA_OIF, ifindex);
  nl.request(h, "add default route via " + net::to_string(gateway));
}

}  // namespace vcrun::net
