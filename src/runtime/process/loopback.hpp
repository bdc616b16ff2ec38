// Bringing up the loopback device of a container's own network namespace.
#pragma once

namespace vcrun::loopback {

// Sets IFF_UP on "lo" (ifindex 1 of a new network namespace) in the caller's network
// namespace. Throws Error "set link 1 up: <strerror>" as the netlink request did.
void set_up();

}  // namespace vcrun::loopback
