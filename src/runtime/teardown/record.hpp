// The teardown record: what a container's launch made, in the order it made it. Each entry
// is the record type of the mechanism that made it (cgroup/records.hpp, net/state/records.hpp).
#pragma once

#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "cgroup/records.hpp"
#include "net/state/records.hpp"

namespace vcrun::teardown {

using Made = std::variant<cgroup::MadeCgroupDirs, cgroup::MadeCgroup, cgroup::MadeHooksCgroup,
                          net::BridgeAttachment, net::ShapeAttachment>;

// Each launch step appends what it is about to make and saves the state before making it,
// so after a crash at any point the record covers everything there is; `delete` undoes the
// entries in reverse order (undo.hpp), and undoing what is already gone is not an error. A
// new kind of resource adds its record type to Made (see docs/architecture.md, "Where a new
// mechanism plugs in").
struct Record {
  std::vector<Made> made;

  // Appends `m`, or replaces the last entry of the same type (a step refining its record).
  void record(Made m);
};

// The hooks cgroup of a record, "" when it has none.
std::string hooks_cgroup(const Record& r);
// The HTB class of a record, nullptr when it has none.
const net::ShapeAttachment* net_class(const Record& r);

// The record's JSON (state.json's "teardown"): a list of one-key objects, the key naming the
// entry's kind and its value the mechanism's JSON of it.
nlohmann::json record_json(const Record& r);
// Throws nlohmann::json::exception or std::invalid_argument on a malformed record.
Record record_from_json(const nlohmann::json& j);

}  // namespace vcrun::teardown
