// nftables transactions (libnftnl messages on a libmnl socket) for the bridge's masquerade.
//
// libnftnl is the netfilter project's own library for nf_tables' netlink messages (nft and
// firewalld sit on it); Debian ships it static, so it costs no loader time.
#include "net/objects/nat.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>

#include <functional>

#include "net/transport/nft_batch.hpp"
#include "vcrun/error.hpp"

namespace vcrun::net {

namespace {

std::string chain_name(const std::string& bridge) { return "masq-" + bridge; }

using net::Batch;
using net::Chain;
using net::Rule;
using net::Table;
using net::add_expr;
using net::checked;

Table make_table() {
  Table t(checked(nftnl_table_alloc()));
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, kTable);
  nftnl_table_set_u32(t.get(), NFTNL_TABLE_FAMILY, NFPROTO_IPV4);
  return t;
}

Chain make_chain(const std::string& bridge) {
  Chain c(checked(nftnl_chain_alloc()));
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TABLE, kTable);
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_NAME, chain_name(bridge).c_str());
  return c;
}

// reg1 = <ip header field at offset> & mask; then compare it with the subnet's base.
void match_address(nftnl_rule* r, uint32_t offset, const net::Ipv4Net& subnet, uint32_t op) {
  add_expr(r, "payload", [&](nftnl_expr* e) {
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, 4);
  });
  uint32_t mask = htonl(subnet.mask()), zero = 0, base = htonl(subnet.base.value);
  add_expr(r, "bitwise", [&](nftnl_expr* e) {
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, 4);
    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof mask);
    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof zero);
  });
  add_expr(r, "cmp", [&](nftnl_expr* e) {
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
    nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, &base, sizeof base);
  });
}

Rule make_rule(const std::string& bridge, const net::Ipv4Net& subnet) {
  Rule r(checked(nftnl_rule_alloc()));
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, kTable);
  nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, chain_name(bridge).c_str());
  nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, NFPROTO_IPV4);
  constexpr uint32_t kSaddr = 12, kDaddr = 16;  // offsets in the IPv4 header
  match_address(r.get(), kSaddr, subnet, NFT_CMP_EQ);
  match_address(r.get(), kDaddr, subnet, NFT_CMP_NEQ);
  add_expr(r.get(), "masq", [](nftnl_expr*) {});
  return r;
}

}  // namespace

void ensure_masquerade(const std::string& bridge, const net::Ipv4Net& subnet) {
  Table table = make_table();
  Chain chain = make_chain(bridge);
  nftnl_chain_set_str(chain.get(), NFTNL_CHAIN_TYPE, "nat");
  nftnl_chain_set_u32(chain.get(), NFTNL_CHAIN_HOOKNUM, NF_INET_POST_ROUTING);
  nftnl_chain_set_s32(chain.get(), NFTNL_CHAIN_PRIO, 100);  // srcnat
  nftnl_chain_set_u32(chain.get(), NFTNL_CHAIN_POLICY, NF_ACCEPT);
  Chain flush = make_chain(bridge);
  Rule rule = make_rule(bridge, subnet);
  Batch b(NFPROTO_IPV4);
  b.add(NFT_MSG_NEWTABLE, NLM_F_CREATE, [&](nlmsghdr* h) { nftnl_table_nlmsg_build_payload(h, table.get()); });
  b.add(NFT_MSG_NEWCHAIN, NLM_F_CREATE, [&](nlmsghdr* h) { nftnl_chain_nlmsg_build_payload(h, chain.get()); });
  Rule all(checked(nftnl_rule_alloc()));  // table + chain only: every rule of the chain
  nftnl_rule_set_str(all.get(), NFTNL_RULE_TABLE, kTable);
  nftnl_rule_set_str(all.get(), NFTNL_RULE_CHAIN, chain_name(bridge).c_str());
  b.add(NFT_MSG_DELRULE, 0, [&](nlmsghdr* h) { nftnl_rule_nlmsg_build_payload(h, all.get()); });
  b.add(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, [&](nlmsghdr* h) { nftnl_rule_nlmsg_build_payload(h, rule.get()); });
  b.commit("nftables: masquerade " + net::to_string(subnet) + " in table ip " + kTable);
}

bool masquerade_present(const std::string& bridge) {
  Rule query(checked(nftnl_rule_alloc()));
  nftnl_rule_set_str(query.get(), NFTNL_RULE_TABLE, kTable);
  nftnl_rule_set_str(query.get(), NFTNL_RULE_CHAIN, chain_name(bridge).c_str());
  bool any = false;
  net::dump(NFT_MSG_GETRULE, NFPROTO_IPV4, [&](nlmsghdr* h) { nftnl_rule_nlmsg_build_payload(h, query.get()); },
            [&](const nlmsghdr*) { any = true; }, "nftables: list the rules of " + chain_name(bridge));
  return any;
}

bool table_has_chains() {
  bool any = false;
  net::dump(NFT_MSG_GETCHAIN, NFPROTO_IPV4, [](nlmsghdr*) {}, [&](const nlmsghdr* h) {
    net::Chain c(checked(nftnl_chain_alloc()));
    if (nftnl_chain_nlmsg_parse(h, c.get()) < 0) return;
    const char* table = nftnl_chain_get_str(c.get(), NFTNL_CHAIN_TABLE);
    if (table && std::string(table) == kTable) any = true;
  }, "nftables: list chains");
  return any;
}

void remove_table_if_unused() {
  if (table_has_chains()) return;
  Table table = make_table();
  Batch b(NFPROTO_IPV4);
  b.add(NFT_MSG_DELTABLE, 0, [&](nlmsghdr* h) { nftnl_table_nlmsg_build_payload(h, table.get()); });
  b.commit_ignoring_absent("nftables: remove table ip " + std::string(kTable));
}

}  // namespace vcrun::net
