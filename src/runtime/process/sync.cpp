// The parent<->init synchronisation channel.
#include "runtime/process/sync.hpp"

#include <sys/socket.h>

#include <cstdlib>

#include "vcrun/error.hpp"

namespace vcrun::sync {

std::pair<UniqueFd, UniqueFd> make_pair() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    throw_errno("socketpair");
  return {UniqueFd(sv[0]), UniqueFd(sv[1])};
}

bool send(int fd, const std::string& msg) {
  for (;;) {
    if (::send(fd, msg.data(), msg.size(), MSG_NOSIGNAL) >= 0) return true;
    if (errno != EINTR) return false;
  }
}

std::optional<std::string> receive(int fd) {
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) return std::string(buf, static_cast<size_t>(n));
    if (n == 0) return std::nullopt;
    if (errno != EINTR) return std::nullopt;
  }
}

void throw_if_error(const std::optional<std::string>& msg) {
  if (!msg) return;
  const std::string prefix = kErrorPrefix, exec_prefix = kExecErrorPrefix;
  if (msg->rfind(prefix, 0) == 0) throw Error(msg->substr(prefix.size()));
  if (msg->rfind(exec_prefix, 0) == 0) {
    size_t colon = msg->find(':', exec_prefix.size());
    int status = colon == std::string::npos ? 127 : std::atoi(msg->c_str() + exec_prefix.size());
    throw ExecError(msg->substr(colon == std::string::npos ? exec_prefix.size() : colon + 1),
                    status == 126 ? 126 : 127);
  }
}

}  // namespace vcrun::sync
