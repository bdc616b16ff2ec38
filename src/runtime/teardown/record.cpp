// The teardown record's JSON form: [{"cgroupDirs": [...]}, {"cgroup": {...}},
// {"hooksCgroup": "..."}, {"bridgeLink": {...}}, {"netClass": {...}}]: the kind here, the
// value the mechanism's. A "bindAllow" entry of an older vcrun is read and dropped:
// cgroup::destroy now detaches the bind programs.
#include "runtime/teardown/record.hpp"

#include <stdexcept>

#include <nlohmann/json.hpp>

namespace vcrun::teardown {

void Record::record(Made m) {
  for (auto& entry : made) {
    if (entry.index() == m.index()) {
      entry = std::move(m);
      return;
    }
  }
  made.push_back(std::move(m));
}

const net::ShapeAttachment* net_class(const Record& r) {
  for (const auto& m : r.made)
    if (auto* c = std::get_if<net::ShapeAttachment>(&m)) return c;
  return nullptr;
}

std::string hooks_cgroup(const Record& r) {
  for (const auto& m : r.made)
    if (auto* h = std::get_if<cgroup::MadeHooksCgroup>(&m)) return h->path;
  return "";
}

namespace {

// The key of each kind in state.json, in Made's order: written by every vcrun since the
// record exists, so never renamed.
constexpr const char* kKinds[] = {"cgroupDirs", "cgroup", "hooksCgroup", "bridgeLink", "netClass"};
static_assert(std::size(kKinds) == std::variant_size_v<Made>);

template <size_t I = 0>
bool from_kind(const nlohmann::json& entry, Record& r) {
  if constexpr (I == std::variant_size_v<Made>) {
    return false;
  } else {
    if (auto it = entry.find(kKinds[I]); it != entry.end()) {
      r.made.emplace_back(std::in_place_index<I>, it->get<std::variant_alternative_t<I, Made>>());
      return true;
    }
    return from_kind<I + 1>(entry, r);
  }
}

}  // namespace

nlohmann::json record_json(const Record& r) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& m : r.made)
    std::visit([&](const auto& v) { out.push_back({{kKinds[m.index()], v}}); }, m);
  return out;
}

Record record_from_json(const nlohmann::json& j) {
  Record r;
  for (const auto& entry : j) {
    if (from_kind(entry, r)) continue;
    if (entry.contains("bindAllow")) continue;  // nothing to undo of its own (see above)
    throw std::invalid_argument("unknown teardown entry " + entry.dump().substr(0, 80));
  }
  return r;
}

}  // namespace vcrun::teardown
