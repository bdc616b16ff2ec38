// The teardown record's JSON form: [{"cgroupDirs": [...]}, {"cgroup": {...}},
// {"hooksCgroup": "..."}, {"bridgeLink": {...}}]. A "bindAllow" entry of
// an older vcrun is read and dropped: cgroup::destroy now detaches the bind programs.
#include "runtime/state/teardown.hpp"

#include <stdexcept>

namespace vcrun::state {

void Teardown::record(Made m) {
  for (auto& entry : made) {
    if (entry.index() == m.index()) {
      entry = std::move(m);
      return;
    }
  }
  made.push_back(std::move(m));
}

const MadeNetClass* net_class(const Teardown& t) {
  for (const auto& m : t.made)
    if (auto* c = std::get_if<MadeNetClass>(&m)) return c;
  return nullptr;
}

std::string hooks_cgroup(const Teardown& t) {
  for (const auto& m : t.made)
    if (auto* h = std::get_if<MadeHooksCgroup>(&m)) return h->path;
  return "";
}

namespace {

struct ToJson {
  nlohmann::json operator()(const MadeCgroupDirs& d) const { return {{"cgroupDirs", d.dirs}}; }
  nlohmann::json operator()(const MadeCgroup& c) const {
    return {{"cgroup", {{"path", c.path}, {"created", c.created}}}};
  }
  nlohmann::json operator()(const MadeHooksCgroup& h) const { return {{"hooksCgroup", h.path}}; }
  nlohmann::json operator()(const MadeBridgeLink& b) const {
    return {{"bridgeLink",
             {{"leases", b.leases}, {"bridge", b.bridge}, {"subnet", b.subnet}, {"ip", b.ip}, {"veth", b.veth},
              {"published", b.published}}}};
  }
  nlohmann::json operator()(const MadeNetClass& c) const {
    return {{"netClass", {{"root", c.root}, {"device", c.device}, {"minor", c.minor}}}};
  }
};

}  // namespace

nlohmann::json teardown_json(const Teardown& t) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& m : t.made) out.push_back(std::visit(ToJson{}, m));
  return out;
}

Teardown teardown_from_json(const nlohmann::json& j) {
  Teardown t;
  for (const auto& entry : j) {
    if (entry.contains("cgroupDirs")) {
      t.made.emplace_back(MadeCgroupDirs{entry.at("cgroupDirs").get<std::vector<std::string>>()});
    } else if (entry.contains("cgroup")) {
      const auto& c = entry.at("cgroup");
      t.made.emplace_back(MadeCgroup{c.at("path").get<std::string>(), c.at("created").get<bool>()});
    } else if (entry.contains("hooksCgroup")) {
      t.made.emplace_back(MadeHooksCgroup{entry.at("hooksCgroup").get<std::string>()});
    } else if (entry.contains("bindAllow")) {
      // Nothing to undo of its own (see above).
    } else if (entry.contains("bridgeLink")) {
      const auto& b = entry.at("bridgeLink");
      t.made.emplace_back(MadeBridgeLink{b.at("leases").get<std::string>(), b.at("bridge").get<std::string>(),
                                         b.at("subnet").get<std::string>(), b.at("ip").get<std::string>(),
                                         b.at("veth").get<std::string>(), b.value("published", false)});
    } else if (entry.contains("netClass")) {
      const auto& c = entry.at("netClass");
      t.made.emplace_back(MadeNetClass{c.at("root").get<std::string>(), c.at("device").get<std::string>(),
                                       c.at("minor").get<uint32_t>()});
    } else {
      throw std::invalid_argument("unknown teardown entry " + entry.dump().substr(0, 80));
    }
  }
  return t;
}

}  // namespace vcrun::state
