// nf_tables transactions on a libmnl socket, shared by vcrun's nftables users (nat,
// classify): a batch of libnftnl messages committed as one transaction, and the owning
// handles of libnftnl's objects.
#pragma once

#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "net/transport/netlink.hpp"

namespace vcrun::net {

template <class T, void (*Free)(const T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using Table = std::unique_ptr<nftnl_table, Deleter<nftnl_table, nftnl_table_free>>;
using Chain = std::unique_ptr<nftnl_chain, Deleter<nftnl_chain, nftnl_chain_free>>;
using Rule = std::unique_ptr<nftnl_rule, Deleter<nftnl_rule, nftnl_rule_free>>;

// Throws Error when libnftnl could not allocate.
void* checked_ptr(void* p);
template <class P>
P* checked(P* p) {
  return static_cast<P*>(checked_ptr(p));
}

// Appends the expression `name` to `r`, after `set` filled it (the rule owns it).
void add_expr(nftnl_rule* r, const char* name, const std::function<void(nftnl_expr*)>& set);

// One nf_tables transaction of the address family `family` (NFPROTO_IPV4, NFPROTO_BRIDGE):
// BEGIN, the messages added, END; every message acked.
class Batch {
 public:
  explicit Batch(uint16_t family);
  ~Batch();
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;

  // Adds one message of `type`; `fill` writes its payload.
  void add(uint16_t type, uint16_t flags, const std::function<void(nlmsghdr*)>& fill);
  // Sends it; an error ack throws Error "<what>: ..." and the kernel applies nothing.
  void commit(const std::string& what);
  // The same, where a delete of something gone already (ENOENT) is done.
  void commit_ignoring_absent(const std::string& what);

 private:
  uint16_t family_;
  net::Socket nl_;
  std::vector<char> buf_;
  mnl_nlmsg_batch* batch_;
  uint32_t first_ = 0, last_ = 0;
};

// Calls `each` with every object of a dump of `type` (NFT_MSG_GETCHAIN, NFT_MSG_GETRULE)
// in `family`; `fill` may narrow the request (a rule dump's table and chain).
void dump(uint16_t type, uint16_t family, const std::function<void(nlmsghdr*)>& fill,
          const std::function<void(const nlmsghdr*)>& each, const std::string& what);

}  // namespace vcrun::net
