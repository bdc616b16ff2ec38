// What a container holds of the network, as bridge and shaping return it and its teardown
// record keeps it, and the JSON of each.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace vcrun::net {

// Bridge mode (policy/bridge.hpp): the host end of the veth pair (deleted, or once the init
// has exited left down and out of the bridge to its namespace's cleanup), the address lease
// in `leases` and the published ports; the bridge and its NAT chain stay for the next
// container.
struct BridgeAttachment {
  std::string leases, bridge, subnet, ip;
  std::string veth;  // the host end of the pair
  // Whether it has port-forwarding chains (objects/publish.hpp): a delete of chains that
  // are not there is an aborted nf_tables transaction, which costs ~20 ms.
  bool published = false;
};

// Egress shaping (policy/shaping.hpp): the container's HTB class `minor` on `device`, its
// ledger file under <root>.shaping and its tagging rules; with the device's last class the
// HTB root (if vcrun made it), with the last class anywhere the tagging chains.
struct ShapeAttachment {
  std::string root;  // the lease directory of the network namespace (leases.hpp)
  std::string device;
  uint32_t minor = 0;
};

// {"leases", "bridge", "subnet", "ip", "veth", "published"} ("published" may be missing:
// false) and {"root", "device", "minor"}. from_json throws nlohmann::json::exception on a
// malformed record.
void to_json(nlohmann::json& j, const BridgeAttachment& a);
void from_json(const nlohmann::json& j, BridgeAttachment& a);
void to_json(nlohmann::json& j, const ShapeAttachment& a);
void from_json(const nlohmann::json& j, ShapeAttachment& a);

}  // namespace vcrun::net
