// Links over rtnetlink: look up, create (bridge, veth pair), set up, delete.
#pragma once

#include <optional>
#include <string>

#include "net/transport/netlink.hpp"

namespace vcrun::net {

struct LinkInfo {
  unsigned index = 0;
  std::string name;
  std::string kind;  // IFLA_INFO_KIND: "bridge", "veth", "" for a physical device or lo
};

// The link called `name` in the socket's namespace; nullopt when there is none.
std::optional<LinkInfo> find_link(Socket& nl, const std::string& name);
// The link with index `index`; nullopt when there is none.
std::optional<LinkInfo> find_link(Socket& nl, unsigned index);

// Sets IFF_UP on the link with index `ifindex`.
void set_link_up(Socket& nl, unsigned ifindex);

// A new bridge `name`, up. EEXIST when the name is taken.
void create_bridge(Socket& nl, const std::string& name);

// A veth pair: `name` here, up and enslaved to the link `master`; its peer `peer_name`
// created directly in the network namespace `peer_netns_fd`, down (set it up there).
void create_veth(Socket& nl, const std::string& name, unsigned master, const std::string& peer_name,
                 int peer_netns_fd);

// Takes the link with index `ifindex` down and out of its bridge (IFLA_MASTER 0): no
// frame passes it any more, at a fraction of a delete's cost (no rcu_barrier). False when
// the link is gone (its namespace's cleanup may take it at any time).
bool disconnect_link(Socket& nl, unsigned ifindex);

// Deletes the link `name`; false when there was none.
bool delete_link(Socket& nl, const std::string& name);

// Sets IFF_UP on the interface with index `ifindex` in the caller's network namespace
// (the loopback of a fresh namespace is index 1): the init's one netlink request.
void set_link_up(unsigned ifindex);

}  // namespace vcrun::net
