// nf_tables transactions and dumps (nft_batch.hpp).
#include "net/transport/nft_batch.hpp"

#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <libnftnl/common.h>

#include "vcrun/error.hpp"

namespace vcrun::net {

void* checked_ptr(void* p) {
  if (!p) throw_errno("nftables message");
  return p;
}

void add_expr(nftnl_rule* r, const char* name, const std::function<void(nftnl_expr*)>& set) {
  nftnl_expr* e = checked(nftnl_expr_alloc(name));
  set(e);
  nftnl_rule_add_expr(r, e);
}

Batch::Batch(uint16_t family)
    : family_(family),
      nl_(NETLINK_NETFILTER),
      buf_(MNL_SOCKET_BUFFER_SIZE * 2),
      batch_(mnl_nlmsg_batch_start(buf_.data(), buf_.size())) {
  nftnl_batch_begin(static_cast<char*>(mnl_nlmsg_batch_current(batch_)), nl_.next_seq());
  mnl_nlmsg_batch_next(batch_);
}

Batch::~Batch() { mnl_nlmsg_batch_stop(batch_); }

void Batch::add(uint16_t type, uint16_t flags, const std::function<void(nlmsghdr*)>& fill) {
  uint32_t seq = nl_.next_seq();
  if (!first_) first_ = seq;
  last_ = seq;
  nlmsghdr* h = nftnl_nlmsg_build_hdr(static_cast<char*>(mnl_nlmsg_batch_current(batch_)), type, family_,
                                      flags | NLM_F_ACK, seq);
  fill(h);
  mnl_nlmsg_batch_next(batch_);
}

void Batch::commit(const std::string& what) {
  if (!first_) return;  // nothing to do: no transaction
  nftnl_batch_end(static_cast<char*>(mnl_nlmsg_batch_current(batch_)), nl_.next_seq());
  mnl_nlmsg_batch_next(batch_);
  nl_.request_batch(mnl_nlmsg_batch_head(batch_), mnl_nlmsg_batch_size(batch_), first_, last_, what);
}

void Batch::commit_ignoring_absent(const std::string& what) {
  try {
    commit(what);
  } catch (const Error& e) {
    if (e.code() != ENOENT) throw;
  }
}

void dump(uint16_t type, uint16_t family, const std::function<void(nlmsghdr*)>& fill,
          const std::function<void(const nlmsghdr*)>& each, const std::string& what) {
  net::Socket nl(NETLINK_NETFILTER);
  net::Message m;
  nlmsghdr* h = nftnl_nlmsg_build_hdr(m.buffer(), type, family, NLM_F_DUMP, 0);
  fill(h);
  try {
    nl.query(h, true, each, what);
  } catch (const Error& e) {
    if (e.code() != ENOENT) throw;  // no such table or chain: nothing to list
  }
}

}  // namespace vcrun::net
