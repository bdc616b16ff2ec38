// nftables rules that set skb->priority to a container's HTB class (classify.hpp).
#include "net/objects/classify.hpp"

#include <linux/netfilter.h>
#include <linux/netfilter_bridge.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <libnftnl/udata.h>
#include <linux/if.h>

#include <cstring>
#include <vector>

#include "net/objects/nat.hpp"
#include "net/transport/nft_batch.hpp"
#include "vcrun/error.hpp"

namespace vcrun::net {

namespace {

using net::add_expr;
using net::checked;

constexpr const char* kOut = "shape-out";  // ip vcrun and ip6 vcrun, output: host mode
constexpr const char* kFwd = "shape-fwd";  // ip vcrun, forward: bridge mode
constexpr const char* kIn = "shape-in";    // bridge vcrun, prerouting: bridge mode
constexpr int kPriority = -150;             // mangle: before the host's filter chains

std::string comment(const std::string& id) { return "vcrun:" + id; }

struct ChainRef {
  uint16_t family;
  const char* name;
  uint32_t hook;
};
constexpr ChainRef kChains[] = {
    {NFPROTO_IPV4, kOut, NF_INET_LOCAL_OUT},
    {NFPROTO_IPV4, kFwd, NF_INET_FORWARD},
    {NFPROTO_BRIDGE, kIn, NF_BR_PRE_ROUTING},
    // A host-mode container's IPv6 sockets: without it they would escape the class (and
    // its cap) into the default class. Bridge mode has no IPv6 (IPv4 addresses only).
    {NFPROTO_IPV6, kOut, NF_INET_LOCAL_OUT},
};

net::Table make_table(uint16_t family) {
  net::Table t(checked(nftnl_table_alloc()));
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, net::kTable);
  nftnl_table_set_u32(t.get(), NFTNL_TABLE_FAMILY, family);
  return t;
}

net::Chain make_chain(const ChainRef& c, bool base) {
  net::Chain chain(checked(nftnl_chain_alloc()));
  nftnl_chain_set_str(chain.get(), NFTNL_CHAIN_TABLE, net::kTable);
  nftnl_chain_set_str(chain.get(), NFTNL_CHAIN_NAME, c.name);
  nftnl_chain_set_u32(chain.get(), NFTNL_CHAIN_FAMILY, c.family);
  if (base) {
    nftnl_chain_set_str(chain.get(), NFTNL_CHAIN_TYPE, "filter");
    nftnl_chain_set_u32(chain.get(), NFTNL_CHAIN_HOOKNUM, c.hook);
    nftnl_chain_set_s32(chain.get(), NFTNL_CHAIN_PRIO, kPriority);
    nftnl_chain_set_u32(chain.get(), NFTNL_CHAIN_POLICY, NF_ACCEPT);
  }
  return chain;
}

net::Rule make_rule(const ChainRef& c, const std::string& id) {
  net::Rule r(checked(nftnl_rule_alloc()));
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, net::kTable);
  nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, c.name);
  nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, c.family);
  nftnl_udata_buf* ud = checked(nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN));
  nftnl_udata_put_strz(ud, NFTNL_UDATA_RULE_COMMENT, comment(id).c_str());
  nftnl_rule_set_data(r.get(), NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud), nftnl_udata_buf_len(ud));
  nftnl_udata_buf_free(ud);
  return r;
}

void load_meta(nftnl_rule* r, uint32_t key) {
  add_expr(r, "meta", [&](nftnl_expr* e) {
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
  });
}

void compare(nftnl_rule* r, const void* data, size_t len) {
  add_expr(r, "cmp", [&](nftnl_expr* e) {
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
    nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, static_cast<uint32_t>(len));
  });
}

// meta <key> set <value>
void set_meta(nftnl_rule* r, uint32_t key, uint32_t value) {
  add_expr(r, "immediate", [&](nftnl_expr* e) {
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
    nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &value, sizeof value);
  });
  add_expr(r, "meta", [&](nftnl_expr* e) {
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, NFT_REG_1);
  });
}

int comment_of(const nftnl_udata* attr, void* out) {
  if (nftnl_udata_type(attr) == NFTNL_UDATA_RULE_COMMENT) {
    const char* text = static_cast<const char*>(nftnl_udata_get(attr));
    static_cast<std::string*>(out)->assign(text, ::strnlen(text, nftnl_udata_len(attr)));
  }
  return 0;
}

// The handles of `id`'s rules in chain `c`.
std::vector<uint64_t> rules_of(const ChainRef& c, const std::string& id) {
  std::vector<uint64_t> handles;
  net::Rule filter(checked(nftnl_rule_alloc()));
  nftnl_rule_set_str(filter.get(), NFTNL_RULE_TABLE, net::kTable);
  nftnl_rule_set_str(filter.get(), NFTNL_RULE_CHAIN, c.name);
  net::dump(NFT_MSG_GETRULE, c.family, [&](nlmsghdr* h) { nftnl_rule_nlmsg_build_payload(h, filter.get()); },
            [&](const nlmsghdr* h) {
              net::Rule r(checked(nftnl_rule_alloc()));
              if (nftnl_rule_nlmsg_parse(h, r.get()) < 0) return;
              const char* chain = nftnl_rule_get_str(r.get(), NFTNL_RULE_CHAIN);
              const char* table = nftnl_rule_get_str(r.get(), NFTNL_RULE_TABLE);
              if (!chain || !table || std::strcmp(chain, c.name) != 0 || std::strcmp(table, net::kTable) != 0) return;
              uint32_t len = 0;
              const void* data = nftnl_rule_get_data(r.get(), NFTNL_RULE_USERDATA, &len);
              std::string text;
              if (data) nftnl_udata_parse(data, len, comment_of, &text);
              if (text == comment(id)) handles.push_back(nftnl_rule_get_u64(r.get(), NFTNL_RULE_HANDLE));
            },
            std::string("nftables: list chain ") + c.name);
  return handles;
}

void delete_rules(net::Batch& b, const ChainRef& c, const std::string& id) {
  for (uint64_t handle : rules_of(c, id)) {
    net::Rule r = make_rule(c, id);
    nftnl_rule_set_u64(r.get(), NFTNL_RULE_HANDLE, handle);
    b.add(NFT_MSG_DELRULE, 0, [&](nlmsghdr* h) { nftnl_rule_nlmsg_build_payload(h, r.get()); });
  }
}

// One transaction of `c.family`: the table and chain `c` exist, `id`'s old rules there go,
// `rule` is appended.
void replace_rule(const ChainRef& c, const std::string& id, nftnl_rule* rule) {
  net::Table table = make_table(c.family);
  net::Chain chain = make_chain(c, true);
  net::Batch b(c.family);
  b.add(NFT_MSG_NEWTABLE, NLM_F_CREATE, [&](nlmsghdr* h) { nftnl_table_nlmsg_build_payload(h, table.get()); });
  b.add(NFT_MSG_NEWCHAIN, NLM_F_CREATE, [&](nlmsghdr* h) { nftnl_chain_nlmsg_build_payload(h, chain.get()); });
  delete_rules(b, c, id);
  b.add(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, [&](nlmsghdr* h) { nftnl_rule_nlmsg_build_payload(h, rule); });
  b.commit(std::string("nftables: tag container ") + id + " in chain " + c.name);
}

}  // namespace

void tag_cgroup(const std::string& id, unsigned level, uint64_t cgroup_id, uint32_t classid) {
  for (const ChainRef* c : {&kChains[0], &kChains[3]}) {
    net::Rule r = make_rule(*c, id);
    add_expr(r.get(), "socket", [&](nftnl_expr* e) {
      nftnl_expr_set_u32(e, NFTNL_EXPR_SOCKET_KEY, NFT_SOCKET_CGROUPV2);
      nftnl_expr_set_u32(e, NFTNL_EXPR_SOCKET_DREG, NFT_REG_1);
      nftnl_expr_set_u32(e, NFTNL_EXPR_SOCKET_LEVEL, level);
    });
    compare(r.get(), &cgroup_id, sizeof cgroup_id);
    set_meta(r.get(), NFT_META_PRIORITY, classid);
    replace_rule(*c, id, r.get());
  }
}

void tag_veth(const std::string& id, const std::string& veth, uint32_t classid) {
  const ChainRef& in = kChains[2];
  net::Rule mark = make_rule(in, id);
  char name[IFNAMSIZ] = {};
  std::strncpy(name, veth.c_str(), IFNAMSIZ - 1);
  load_meta(mark.get(), NFT_META_IIFNAME);
  compare(mark.get(), name, sizeof name);
  set_meta(mark.get(), NFT_META_MARK, classid);
  replace_rule(in, id, mark.get());

  const ChainRef& fwd = kChains[1];
  net::Rule prio = make_rule(fwd, id);
  load_meta(prio.get(), NFT_META_MARK);
  compare(prio.get(), &classid, sizeof classid);
  set_meta(prio.get(), NFT_META_PRIORITY, classid);
  set_meta(prio.get(), NFT_META_MARK, 0);
  replace_rule(fwd, id, prio.get());
}

void untag(const std::string& id) {
  for (const auto& c : kChains) {
    net::Batch b(c.family);
    delete_rules(b, c, id);
    b.commit_ignoring_absent(std::string("nftables: untag container ") + id + " in chain " + c.name);
  }
}

void remove_chains() {
  for (const auto& c : kChains) {
    net::Chain chain = make_chain(c, false);
    net::Rule all(checked(nftnl_rule_alloc()));
    nftnl_rule_set_str(all.get(), NFTNL_RULE_TABLE, net::kTable);
    nftnl_rule_set_str(all.get(), NFTNL_RULE_CHAIN, c.name);
    net::Batch b(c.family);
    b.add(NFT_MSG_DELRULE, 0, [&](nlmsghdr* h) { nftnl_rule_nlmsg_build_payload(h, all.get()); });
    b.add(NFT_MSG_DELCHAIN, 0, [&](nlmsghdr* h) { nftnl_chain_nlmsg_build_payload(h, chain.get()); });
    b.commit_ignoring_absent(std::string("nftables: remove chain ") + c.name);
  }
  for (uint16_t family : {NFPROTO_BRIDGE, NFPROTO_IPV6}) {  // tables only shaping uses
    net::Table table = make_table(family);
    net::Batch b(family);
    b.add(NFT_MSG_DELTABLE, 0, [&](nlmsghdr* h) { nftnl_table_nlmsg_build_payload(h, table.get()); });
    b.commit_ignoring_absent("nftables: remove table " + std::string(family == NFPROTO_BRIDGE ? "bridge" : "ip6") + " vcrun");
  }
}

}  // namespace vcrun::net
