// SCM_RIGHTS: one fd per message, the message's bytes being the payload.
#include "base/fd_passing.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "vcrun/error.hpp"

namespace vcrun::fdpass {

namespace {

// One-fd SCM_RIGHTS message over `iov`.
struct FdMessage {
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  explicit FdMessage(iovec* iov) {
    msg.msg_iov = iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
  }
};

}  // namespace

void send_fd(int sock, int fd, const std::string& what, std::string_view payload) {
  iovec iov{const_cast<char*>(payload.data()), payload.size()};
  FdMessage m(&iov);
  cmsghdr* c = CMSG_FIRSTHDR(&m.msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  ssize_t n;
  while ((n = ::sendmsg(sock, &m.msg, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
  }
  if (n < 0) throw_errno("send " + what);
  // A stream socket may take a long payload in parts; the fd went with the first.
  for (size_t done = static_cast<size_t>(n); done < payload.size();) {
    ssize_t w = ::send(sock, payload.data() + done, payload.size() - done, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) throw_errno("send " + what);
    done += static_cast<size_t>(w);
  }
}

UniqueFd receive_fd(int sock, const std::string& what, TextHandler on_text) {
  char text[4096];
  iovec iov{text, sizeof text};
  FdMessage m(&iov);
  ssize_t n;
  while ((n = ::recvmsg(sock, &m.msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  if (n <= 0) throw Error("the container process died before handing over its " + what);
  cmsghdr* c = CMSG_FIRSTHDR(&m.msg);
  if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
    // No fd: the peer reported why it could not send one.
    if (on_text) on_text(std::string(text, static_cast<size_t>(n)));
    throw Error("unexpected message instead of the " + what);
  }
  int fd;
  std::memcpy(&fd, CMSG_DATA(c), sizeof(int));
  return UniqueFd(fd);
}

}  // namespace vcrun::fdpass
