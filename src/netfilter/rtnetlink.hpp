// rtnetlink: link configuration without running `ip`.
#pragma once

namespace vcrun::netlink {

// Sets IFF_UP on the interface with index `ifindex` in the caller's network namespace
// (the loopback of a fresh namespace is index 1).
void set_link_up(unsigned ifindex);

}  // namespace vcrun::netlink
