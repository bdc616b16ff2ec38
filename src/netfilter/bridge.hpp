// Bridge mode: a container's veth pair to a host bridge, its address lease, default route
// and the bridge's outbound NAT; and undoing them.
#pragma once

#include <functional>
#include <string>

namespace vcrun::net {

struct BridgeRequest {
  std::string leases;  // the lease directory (<state root>/.network)
  std::string id;      // the container
  std::string bridge;  // the host bridge, created on first use
  std::string subnet;  // its IPv4 subnet (CIDR, validated)
  std::string ip;      // the container's address; "": the first free one
  // How errors name the inputs (the config.json field or the flag that set it).
  std::string ip_field = "vcrun.network.ip";
  std::string subnet_field = "vcrun.network.subnet";
  std::string bridge_field = "vcrun.network.bridge";
};

// What a container holds on the bridge (its teardown record).
struct BridgeAttachment {
  std::string leases, bridge, subnet, ip;
  std::string veth;  // the host end of the pair
};

// Connects the network namespace `netns_fd` to the bridge: checks the bridge name and the
// subnet against the links and routes of the caller's network namespace (SpecError naming
// the field), leases an address, calls `record` with what it is about to make, then makes
// it: the lease, the bridge (with the gateway address, the first of the subnet), IPv4
// forwarding, the NAT chain, the veth pair ("eth0" in the container), the container's
// address and default route. All under the lease lock, so concurrent creates serialise.
BridgeAttachment attach_bridge(const BridgeRequest& req, int netns_fd,
                               const std::function<void(const BridgeAttachment&)>& record);

// Undoes an attachment of container `id` (what is gone already is skipped); the bridge,
// its NAT chain and vcrun's nftables table go with the last container using them.
void detach_bridge(const BridgeAttachment& a, const std::string& id);

// Detaches every lease container `id` holds under the lease directory `leases` (for a
// container whose teardown record is unreadable: the leases name their holder).
void detach_all(const std::string& leases, const std::string& id);

}  // namespace vcrun::net
