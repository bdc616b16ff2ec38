// rtnetlink requests over libmnl.
#include "netfilter/rtnetlink.hpp"

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "vcrun/error.hpp"

namespace vcrun::netlink {

namespace {

struct SocketCloser {
  void operator()(mnl_socket* s) const { mnl_socket_close(s); }
};
using Socket = std::unique_ptr<mnl_socket, SocketCloser>;

Socket open_route_socket() {
  Socket nl(mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC));
  if (!nl) throw_errno("netlink socket");
  if (mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0) throw_errno("netlink bind");
  return nl;
}

// Sends one request with NLM_F_ACK and waits for the kernel's answer.
void transact(mnl_socket* nl, nlmsghdr* req, const std::string& what) {
  if (mnl_socket_sendto(nl, req, req->nlmsg_len) < 0) throw_errno(what);
  char buf[MNL_SOCKET_BUFFER_SIZE];
  unsigned portid = mnl_socket_get_portid(nl);
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof buf);
    if (n < 0) throw_errno(what);
    int rc = mnl_cb_run(buf, static_cast<size_t>(n), req->nlmsg_seq, portid, nullptr, nullptr);
    if (rc < 0) throw_errno(what);
    if (rc == MNL_CB_STOP) return;
  }
}

}  // namespace

void set_link_up(unsigned ifindex) {
  auto nl = open_route_socket();
  char buf[MNL_SOCKET_BUFFER_SIZE];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  nlh->nlmsg_seq = 1;
  auto* ifm = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifm->ifi_family = AF_UNSPEC;
  ifm->ifi_index = static_cast<int>(ifindex);
  ifm->ifi_flags = IFF_UP;
  ifm->ifi_change = IFF_UP;
  transact(nl.get(), nlh, "set link " + std::to_string(ifindex) + " up");
}

}  // namespace vcrun::netlink
