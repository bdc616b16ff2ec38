// The teardown record: what a container's launch made, in the order it made it.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace vcrun::state {

// The container's cgroup. `created` false: a linux.cgroupsPath cgroup that existed before
// the container, emptied on delete but kept.
struct MadeCgroup {
  std::string path;
  bool created = true;
};

// Directories made for a linux.cgroupsPath (missing parents, and the cgroup itself when it
// was missing), outermost first; each is removed on delete while it is empty.
struct MadeCgroupDirs {
  std::vector<std::string> dirs;
};

// The cgroup the runtime-side hooks (createRuntime, prestart, poststart, poststop) run in,
// so that what a hook leaves running goes with the container.
struct MadeHooksCgroup {
  std::string path;
};

// Bridge mode (net/policy/bridge.hpp): the host end of the veth pair (deleted, or once the
// init has exited left down and out of the bridge to its namespace's cleanup), the address
// lease in `leases` and the published ports; the bridge and its NAT chain stay for the next
// container. `published`: it has port-forwarding chains.
struct MadeBridgeLink {
  std::string leases, bridge, subnet, ip, veth;
  bool published = false;
};

// Egress shaping (net/policy/shaping.hpp): the container's HTB class `minor` on `device`,
// its ledger file under <root>/.shaping and its tagging rules; with the device's last
// class the HTB root (if vcrun made it), with the last class anywhere the tagging chains.
struct MadeNetClass {
  std::string root, device;
  uint32_t minor = 0;
};

using Made = std::variant<MadeCgroupDirs, MadeCgroup, MadeHooksCgroup, MadeBridgeLink, MadeNetClass>;

// Each launch step appends what it is about to make and saves the state before making it,
// so after a crash at any point the record covers everything there is; `delete` undoes the
// entries in reverse order, and undoing what is already gone is not an error. A new kind of
// resource (network links, overlay uppers, ...) adds a type to Made and its undo step in
// runtime/teardown.cpp.
struct Teardown {
  std::vector<Made> made;

  // Appends `m`, or replaces the last entry of the same type (a step refining its record).
  void record(Made m);
};

// The hooks cgroup of a record, "" when it has none.
std::string hooks_cgroup(const Teardown& t);
// The HTB class of a record, nullptr when it has none.
const MadeNetClass* net_class(const Teardown& t);

nlohmann::json teardown_json(const Teardown& t);
// Throws nlohmann::json::exception or std::invalid_argument on a malformed record.
Teardown teardown_from_json(const nlohmann::json& j);

}  // namespace vcrun::state
