// Loopback up with two ioctls on an inet datagram socket. Every container with a network
// namespace of its own needs it, and most need nothing else from the network: so the common
// start path neither builds a netlink message nor touches libmnl (4 syscalls instead of 8:
// socket, SIOCGIFFLAGS, SIOCSIFFLAGS, close).
#include "runtime/process/loopback.hpp"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstring>

#include "base/fd.hpp"
#include "vcrun/error.hpp"

namespace vcrun::loopback {

void set_up() {
  constexpr const char* what = "set link 1 up";
  UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) throw_errno(what);
  // A new network namespace holds "lo" alone, as ifindex 1 (loopback_net_init).
  struct ifreq ifr {};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0) throw_errno(what);
  if (ifr.ifr_flags & IFF_UP) return;
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  if (::ioctl(s.get(), SIOCSIFFLAGS, &ifr) != 0) throw_errno(what);
}

}  // namespace vcrun::loopback
