// DNAT chains for published ports (publish.hpp), one pair per container.
#include "net/objects/publish.hpp"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "base/fd.hpp"
#include "base/text.hpp"
#include "net/objects/addresses.hpp"
#include "net/state/leases.hpp"
#include "net/objects/nat.hpp"
#include "net/transport/nft_batch.hpp"
#include "vcrun/error.hpp"

namespace vcrun::net {

namespace {

constexpr int kDstNat = -100;  // NF_IP_PRI_NAT_DST

std::string chain_name(const std::string& prefix, const std::string& veth) { return prefix + "-" + veth; }

net::Chain make_chain(const std::string& name) {
  net::Chain c(net::checked(nftnl_chain_alloc()));
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TABLE, net::kTable);
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_NAME, name.c_str());
  return c;
}

void compare(nftnl_rule* r, const void* data, uint32_t len) {
  net::add_expr(r, "cmp", [&](nftnl_expr* e) {
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
    nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
  });
}

void load_payload(nftnl_rule* r, uint32_t base, uint32_t offset, uint32_t len) {
  net::add_expr(r, "payload", [&](nftnl_expr* e) {
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
  });
}

void load_immediate(nftnl_rule* r, uint32_t reg, const void* data, uint32_t len) {
  net::add_expr(r, "immediate", [&](nftnl_expr* e) {
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, reg);
    nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
  });
}

net::Rule make_rule(const std::string& chain, Ipv4 container, const Published& p) {
  net::Rule r(net::checked(nftnl_rule_alloc()));
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, net::kTable);
  nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, chain.c_str());
  nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, NFPROTO_IPV4);
  if (p.host_ip) {  // ip daddr HOSTIP
    uint32_t addr = htonl(p.host_ip->value);
    load_payload(r.get(), NFT_PAYLOAD_NETWORK_HEADER, 16, 4);
    compare(r.get(), &addr, sizeof addr);
  } else {  // fib daddr type local
    net::add_expr(r.get(), "fib", [](nftnl_expr* e) {
      nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
      nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
      nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
    });
    uint32_t local = RTN_LOCAL;
    compare(r.get(), &local, sizeof local);
  }
  net::add_expr(r.get(), "meta", [](nftnl_expr* e) {  // meta l4proto
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_L4PROTO);
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
  });
  compare(r.get(), &p.proto, sizeof p.proto);
  uint16_t dport = htons(p.host_port);  // th dport: bytes 2-3 of TCP's and UDP's header
  load_payload(r.get(), NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
  compare(r.get(), &dport, sizeof dport);
  uint32_t to_addr = htonl(container.value);
  uint16_t to_port = htons(p.container_port);
  load_immediate(r.get(), NFT_REG_1, &to_addr, sizeof to_addr);
  load_immediate(r.get(), NFT_REG_2, &to_port, sizeof to_port);
  net::add_expr(r.get(), "nat", [](nftnl_expr* e) {
    nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
    nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
    nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2);
    nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS, NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED);
  });
  return r;
}

// 0 when a socket of `family` and `type` can bind `sa` in the caller's network namespace,
// else the errno. TCP sets SO_REUSEADDR as servers do: a closed connection's TIME_WAIT
// leftover on the port is no listener, and a listener still conflicts whatever its own
// options (SO_REUSEADDR never shares a port with a socket in LISTEN; SO_REUSEPORT needs it
// on both). UDP sets nothing, so any socket bound there conflicts. IPv6 is V6ONLY: the
// IPv4 side is bound separately (a dual-stack listener conflicts with that one).
int bind_errno(int family, int type, const sockaddr* sa, socklen_t len) {
  UniqueFd s(::socket(family, type | SOCK_CLOEXEC, 0));
  if (!s) return family == AF_INET6 && errno == EAFNOSUPPORT ? 0 : errno;  // no IPv6: nothing listens there
  int one = 1;
  if (type == SOCK_STREAM && ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) return errno;
  if (family == AF_INET6 && ::setsockopt(s.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) return errno;
  return ::bind(s.get(), sa, len) == 0 ? 0 : errno;
}

void check_port(const Published& p, const std::string& field) {
  const int type = p.proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  v4.sin_port = htons(p.host_port);
  v4.sin_addr.s_addr = htonl(p.host_ip ? p.host_ip->value : INADDR_ANY);
  std::string where = (p.host_ip ? to_string(*p.host_ip) : std::string("0.0.0.0")) + ":" + std::to_string(p.host_port);
  int err = bind_errno(AF_INET, type, reinterpret_cast<const sockaddr*>(&v4), sizeof v4);
  if (!err && !p.host_ip) {
    sockaddr_in6 v6{};
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(p.host_port);
    v6.sin6_addr = in6addr_any;
    where = "[::]:" + std::to_string(p.host_port);
    err = bind_errno(AF_INET6, type, reinterpret_cast<const sockaddr*>(&v6), sizeof v6);
  }
  if (err == EADDRINUSE)
    throw SpecError(field, "host port " + host_port_name(p) + " is in use on the host (" + where +
                               " is bound by a process of the host)");
  if (err) throw SpecError(field, "host port " + host_port_name(p) + ": cannot bind " + where + ": " + std::strerror(err));
}

}  // namespace

std::vector<Ipv4Net> bridge_subnets(const Leases& leases, const Ipv4Net& own) {
  std::vector<Ipv4Net> out = {own};
  for (const auto& bridge : leases.bridges())
    if (auto text = leases.subnet(bridge))
      if (auto n = parse_ipv4_net(*text)) out.push_back(*n);
  return out;
}

void check_host_ports(net::Socket& nl, const std::vector<Published>& ports, const std::vector<Ipv4Net>& subnets,
                      const std::function<std::string(size_t)>& field) {
  std::vector<net::LinkAddress> local;
  if (std::any_of(ports.begin(), ports.end(), [](const Published& p) { return p.host_ip.has_value(); }))
    local = net::ipv4_addresses(nl);
  for (size_t i = 0; i < ports.size(); ++i) {
    const Published& p = ports[i];
    if (p.host_ip) {
      const Ipv4 ip = *p.host_ip;
      for (const auto& s : subnets)
        if (s.contains(ip))
          throw SpecError(field(i), "host address " + to_string(ip) + " is in the subnet " + to_string(s) +
                                        " of vcrun's bridges, not an address of the host");
      bool mine = false;
      for (const auto& a : local) mine = mine || a.address == ip;
      if (!mine) throw SpecError(field(i), "host address " + to_string(ip) + " is not an address of the host's interfaces");
    }
    check_port(p, field(i));
  }
}

void publish_ports(const std::string& veth, Ipv4 container, const std::vector<Published>& ports) {
  if (ports.empty()) return;
  net::Batch b(NFPROTO_IPV4);
  net::Table table(net::checked(nftnl_table_alloc()));
  nftnl_table_set_str(table.get(), NFTNL_TABLE_NAME, net::kTable);
  nftnl_table_set_u32(table.get(), NFTNL_TABLE_FAMILY, NFPROTO_IPV4);
  b.add(NFT_MSG_NEWTABLE, NLM_F_CREATE, [&](nlmsghdr* h) { nftnl_table_nlmsg_build_payload(h, table.get()); });
  for (auto [prefix, hook] : {std::pair{"pub", NF_INET_PRE_ROUTING}, {"pubout", NF_INET_LOCAL_OUT}}) {
    std::string name = chain_name(prefix, veth);
    net::Chain c = make_chain(name);
    nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TYPE, "nat");
    nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_HOOKNUM, hook);
    nftnl_chain_set_s32(c.get(), NFTNL_CHAIN_PRIO, kDstNat);
    nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_POLICY, NF_ACCEPT);
    b.add(NFT_MSG_NEWCHAIN, NLM_F_CREATE, [&](nlmsghdr* h) { nftnl_chain_nlmsg_build_payload(h, c.get()); });
    for (const auto& p : ports) {
      net::Rule r = make_rule(name, container, p);
      b.add(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, [&](nlmsghdr* h) { nftnl_rule_nlmsg_build_payload(h, r.get()); });
    }
  }
  b.commit("nftables: publish ports of " + to_string(container) + " in table ip " + net::kTable);
}

void unpublish_ports(const std::string& veth) {
  // publish_ports made both chains in one transaction: both are there, or neither.
  net::Batch b(NFPROTO_IPV4);
  for (const char* prefix : {"pub", "pubout"}) {
    std::string name = chain_name(prefix, veth);
    net::Rule all(net::checked(nftnl_rule_alloc()));  // table + chain only: every rule of the chain
    nftnl_rule_set_str(all.get(), NFTNL_RULE_TABLE, net::kTable);
    nftnl_rule_set_str(all.get(), NFTNL_RULE_CHAIN, name.c_str());
    net::Chain c = make_chain(name);
    b.add(NFT_MSG_DELRULE, 0, [&](nlmsghdr* h) { nftnl_rule_nlmsg_build_payload(h, all.get()); });
    b.add(NFT_MSG_DELCHAIN, 0, [&](nlmsghdr* h) { nftnl_chain_nlmsg_build_payload(h, c.get()); });
  }
  b.commit_ignoring_absent("nftables: remove the published ports of " + veth);
}

}  // namespace vcrun::net
