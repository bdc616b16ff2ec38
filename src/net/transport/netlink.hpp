// A netlink socket (libmnl) that sends requests and turns the kernel's acknowledgement
// into an Error carrying its extended-ack text.
#pragma once

#include <libmnl/libmnl.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace vcrun::net {

// A request being built: a buffer with one message (or an nftables batch of several).
class Message {
 public:
  Message();
  // The header of the one message this request holds, with NLM_F_REQUEST | NLM_F_ACK.
  nlmsghdr* header(uint16_t type, uint16_t flags);
  // For batches built by other libraries (nftables): the raw buffer and its used length.
  char* buffer() { return buf_.data(); }
  size_t capacity() const { return buf_.size(); }

 private:
  std::vector<char> buf_;
};

// Calls `each` with every attribute of `h` after its `offset`-byte family header, and of
// the nested attribute `nest` (libmnl's iteration macros do not compile as C++).
void for_each_attr(const nlmsghdr* h, size_t offset, const std::function<void(const nlattr*)>& each);
void for_each_nested(const nlattr* nest, const std::function<void(const nlattr*)>& each);

class Socket {
 public:
  // A socket of `bus` (NETLINK_ROUTE, NETLINK_NETFILTER) in the caller's network namespace,
  // with extended acks on.
  explicit Socket(int bus);
  // The same, in the network namespace `netns_fd` (entered and left by this thread).
  static Socket in_netns(int bus, int netns_fd);

  // Sends `msg` and waits for its acknowledgement. An error ack throws Error
  // "<what>: <strerror> (<kernel's extack message>)" with that errno.
  void request(nlmsghdr* msg, const std::string& what);
  // Sends `len` bytes holding messages with sequence numbers first..last (an nftables
  // batch; every message carries NLM_F_ACK) and waits for all their acks.
  void request_batch(const void* buf, size_t len, uint32_t first, uint32_t last, const std::string& what);
  // Sends a get request (`dump`: NLM_F_DUMP) and calls `each` with every message of the
  // answer; errors as for request().
  void query(nlmsghdr* msg, bool dump, const std::function<void(const nlmsghdr*)>& each,
             const std::string& what);

  uint32_t next_seq() { return ++seq_; }

 private:
  struct Close {
    void operator()(mnl_socket* s) const { mnl_socket_close(s); }
  };
  Socket() = default;
  void open(int bus);
  void send(const void* buf, size_t len, const std::string& what);
  void exchange(nlmsghdr* msg, const std::function<void(const nlmsghdr*)>& each, const std::string& what);
  // Reads the messages addressed to this socket until `on_message` returns true.
  void receive(const std::function<bool(const nlmsghdr*)>& on_message, const std::string& what);
  // Throws (with the kernel's extack text) when the NLMSG_ERROR message `h` is an error.
  static void check_ack(const nlmsghdr* h, const std::string& what);
  std::unique_ptr<mnl_socket, Close> sock_;
  unsigned port_ = 0;
  uint32_t seq_ = 0;
};

}  // namespace vcrun::net
