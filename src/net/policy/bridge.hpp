// Bridge mode: a container's veth pair to a host bridge, its address lease, default route
// and the bridge's outbound NAT; and undoing them.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "net/objects/publish.hpp"
#include "net/state/records.hpp"  // BridgeAttachment: what a container holds

namespace vcrun::net {

class Kernel;

struct BridgeRequest {
  std::string holder;  // who holds the lease: the container's cgroup name (unique across roots)
  std::string bridge;  // the host bridge, created on first use
  Ipv4Net subnet;      // its subnet (validated)
  std::optional<Ipv4> ip;  // the container's address; none: the first free one
  std::vector<Published> publish;  // host ports forwarded to it (validated)
};

// Connects the network namespace `netns_fd` to the bridge: checks the bridge name and the
// subnet against the links and routes of the caller's network namespace (SpecError naming
// the spec path, vcrun.network.*), leases an address, calls `record` with what it is about to make, then makes
// it: the lease, the bridge (with the gateway address, the first of the subnet), IPv4
// forwarding, the NAT chain, the veth pair ("eth0" in the container), the container's
// address and default route, and the published ports (publish.hpp), which no other
// container of the bridge may hold. The leases are those of the caller's network namespace
// (leases.hpp), all under their lock, so concurrent creates serialise whatever their root.
BridgeAttachment attach_bridge(const BridgeRequest& req, int netns_fd,
                               const std::function<void(const BridgeAttachment&)>& record);
// The same over `kernel` (kernel.hpp), with the leases in `lease_dir`.
BridgeAttachment attach_bridge(Kernel& kernel, const std::string& lease_dir, const BridgeRequest& req, int netns_fd,
                               const std::function<void(const BridgeAttachment&)>& record);

// Undoes an attachment held by `holder` (what is gone already is skipped): the lease, the
// published ports, and the host end of the veth: deleted, or with `init_gone` (the
// container's init has exited: its network namespace is going away) taken down and out of
// the bridge and left to the kernel's cleanup of that namespace. The bridge, its NAT chain
// and vcrun's nftables table stay for the next container (docs/network.md).
void detach_bridge(const BridgeAttachment& a, const std::string& holder, bool init_gone);
void detach_bridge(Kernel& kernel, const BridgeAttachment& a, const std::string& holder, bool init_gone);

// The host end's name of the link leased to `ip`: unique while the lease is (no two
// bridges share a subnet).
std::string veth_name(Ipv4 ip);

// Detaches every lease `holder` has in the caller's network namespace (for a container
// whose teardown record is unreadable: the leases name their holder).
void detach_all(const std::string& holder);

}  // namespace vcrun::net
