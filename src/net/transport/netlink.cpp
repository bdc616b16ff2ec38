// Netlink requests and acknowledgements over libmnl, with the kernel's extack text in errors.
#include "net/transport/netlink.hpp"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <sys/socket.h>

#include <cstring>

#include "base/fd.hpp"
#include "vcrun/error.hpp"

namespace vcrun::net {

namespace {

// The NLMSGERR_ATTR_MSG of an error ack, "" when the kernel gave none. With
// NETLINK_CAP_ACK the original request is not echoed: the TLVs follow the nlmsgerr.
std::string extack_message(const nlmsghdr* h) {
  if (!(h->nlmsg_flags & NLM_F_ACK_TLVS)) return "";
  size_t offset = sizeof(nlmsgerr);
  if (!(h->nlmsg_flags & NLM_F_CAPPED)) {
    const auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(h));
    offset += e->msg.nlmsg_len - sizeof(nlmsghdr);
  }
  std::string text;
  for_each_attr(h, offset, [&](const nlattr* attr) {
    if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
      text = mnl_attr_get_str(attr);
  });
  return text;
}

[[noreturn]] void throw_ack(const std::string& what, const nlmsghdr* h, int err) {
  std::string ext = extack_message(h);
  std::string msg = what + ": " + std::strerror(err);
  if (!ext.empty()) msg += " (" + ext + ")";
  throw Error(msg, err);
}

}  // namespace

void for_each_attr(const nlmsghdr* h, size_t offset, const std::function<void(const nlattr*)>& each) {
  const char* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(h));
  for (auto* a = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(h, offset));
       mnl_attr_ok(a, static_cast<int>(tail - reinterpret_cast<const char*>(a))); a = mnl_attr_next(a))
    each(a);
}

void for_each_nested(const nlattr* nest, const std::function<void(const nlattr*)>& each) {
  const char* tail = reinterpret_cast<const char*>(nest) + mnl_attr_get_len(nest);
  for (auto* a = static_cast<const nlattr*>(mnl_attr_get_payload(nest));
       mnl_attr_ok(a, static_cast<int>(tail - reinterpret_cast<const char*>(a))); a = mnl_attr_next(a))
    each(a);
}

Message::Message() : buf_(MNL_SOCKET_BUFFER_SIZE) {}

nlmsghdr* Message::header(uint16_t type, uint16_t flags) {
  std::memset(buf_.data(), 0, buf_.size());
  nlmsghdr* h = mnl_nlmsg_put_header(buf_.data());
  h->nlmsg_type = type;
  h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  return h;
}

Socket::Socket(int bus) { open(bus); }

void Socket::open(int bus) {
  sock_.reset(mnl_socket_open2(bus, SOCK_CLOEXEC));
  if (!sock_) throw_errno("netlink socket");
  int on = 1;
  // Best effort: without extended acks errors carry errno only.
  mnl_socket_setsockopt(sock_.get(), NETLINK_EXT_ACK, &on, sizeof on);
  mnl_socket_setsockopt(sock_.get(), NETLINK_CAP_ACK, &on, sizeof on);
  if (mnl_socket_bind(sock_.get(), 0, MNL_SOCKET_AUTOPID) < 0) throw_errno("netlink bind");
  port_ = mnl_socket_get_portid(sock_.get());
}

Socket Socket::in_netns(int bus, int netns_fd) {
  // A netlink socket belongs to the namespace it was opened in: open it there, come back.
  UniqueFd home(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!home) throw_errno("open /proc/thread-self/ns/net");
  if (::setns(netns_fd, CLONE_NEWNET) != 0) throw_errno("enter the container's network namespace");
  Socket s;
  int err = 0;
  try {
    s.open(bus);
  } catch (const Error& e) {
    err = e.code() ? e.code() : EIO;
  }
  if (::setns(home.get(), CLONE_NEWNET) != 0) throw_errno("return to vcrun's network namespace");
  if (err) throw_errno("netlink socket in the container's network namespace", err);
  return s;
}

void Socket::send(const void* buf, size_t len, const std::string& what) {
  if (mnl_socket_sendto(sock_.get(), buf, len) < 0) throw_errno(what);
}

void Socket::request(nlmsghdr* msg, const std::string& what) {
  exchange(msg, [](const nlmsghdr*) {}, what);
}

void Socket::check_ack(const nlmsghdr* h, const std::string& what) {
  if (h->nlmsg_len < mnl_nlmsg_size(sizeof(nlmsgerr))) throw Error(what + ": truncated netlink ack", EBADMSG);
  const auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(h));
  if (e->error != 0) throw_ack(what, h, -e->error);
}

void Socket::receive(const std::function<bool(const nlmsghdr*)>& on_message,
                     const std::string& what) {
  std::vector<char> in(MNL_SOCKET_BUFFER_SIZE);
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(sock_.get(), in.data(), in.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(what);
    }
    int left = static_cast<int>(n);
    for (auto* h = reinterpret_cast<const nlmsghdr*>(in.data()); mnl_nlmsg_ok(h, left);
         h = mnl_nlmsg_next(h, &left)) {
      if (h->nlmsg_pid == port_ && on_message(h)) return;
    }
  }
}

void Socket::request_batch(const void* buf, size_t len, uint32_t first, uint32_t last,
                           const std::string& what) {
  send(buf, len, what);
  uint32_t acked = 0, expected = last - first + 1;
  receive([&](const nlmsghdr* h) {
    if (h->nlmsg_seq < first || h->nlmsg_seq > last || h->nlmsg_type != NLMSG_ERROR) return false;
    check_ack(h, what);
    return ++acked == expected;
  }, what);
}

void Socket::query(nlmsghdr* msg, bool dump, const std::function<void(const nlmsghdr*)>& each,
                   const std::string& what) {
  // A dump ends with NLMSG_DONE; a get with its ack after the reply.
  if (dump) msg->nlmsg_flags = (msg->nlmsg_flags & ~NLM_F_ACK) | NLM_F_DUMP;
  exchange(msg, each, what);
}

void Socket::exchange(nlmsghdr* msg, const std::function<void(const nlmsghdr*)>& each,
                      const std::string& what) {
  const uint32_t seq = next_seq();
  msg->nlmsg_seq = seq;
  send(msg, msg->nlmsg_len, what);
  receive([&](const nlmsghdr* h) {
    if (h->nlmsg_seq != seq) return false;
    if (h->nlmsg_type == NLMSG_ERROR) check_ack(h, what);
    if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) return true;
    each(h);
    return false;
  }, what);
}

}  // namespace vcrun::net
