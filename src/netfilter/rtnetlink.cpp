// rtnetlink requests on a raw NETLINK_ROUTE socket.
//
// Built with the kernel's uapi macros rather than libmnl: Debian ships libmnl only as a
// shared object, and a dynamically linked vcrun pays the loader ~0.25 ms per start (measured
// with bench/startup and hyperfine), while the messages vcrun sends are a header, a fixed
// struct and a few attributes.
#include "netfilter/rtnetlink.hpp"

#include <errno.h>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <string>

#include "base/fd.hpp"
#include "vcrun/error.hpp"

namespace vcrun::netlink {

namespace {

UniqueFd open_route_socket() {
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd) throw_errno("netlink socket");
  sockaddr_nl self{};
  self.nl_family = AF_NETLINK;  // nl_pid 0: the kernel assigns the port
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&self), sizeof self) != 0) throw_errno("netlink bind");
  return fd;
}

// Sends one request carrying NLM_F_ACK and waits for the kernel's acknowledgement; a
// negative error in it becomes an Error with that errno.
void transact(int fd, nlmsghdr* req, const std::string& what) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd, req, req->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
    throw_errno(what);
  alignas(nlmsghdr) char buf[8192];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(what);
    }
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != req->nlmsg_seq) continue;
      if (h->nlmsg_type == NLMSG_DONE) return;
      if (h->nlmsg_type == NLMSG_ERROR) {
        const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
        if (e->error == 0) return;
        throw_errno(what, -e->error);
      }
    }
  }
}

}  // namespace

void set_link_up(unsigned ifindex) {
  UniqueFd nl = open_route_socket();
  struct {
    nlmsghdr header;
    ifinfomsg link;
  } req{};
  req.header.nlmsg_len = NLMSG_LENGTH(sizeof req.link);
  req.header.nlmsg_type = RTM_NEWLINK;
  req.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  req.header.nlmsg_seq = 1;
  req.link.ifi_family = AF_UNSPEC;
  req.link.ifi_index = static_cast<int>(ifindex);
  req.link.ifi_flags = IFF_UP;
  req.link.ifi_change = IFF_UP;
  transact(nl.get(), &req.header, "set link " + std::to_string(ifindex) + " up");
}

}  // namespace vcrun::netlink
