// The JSON of the cgroup entries of a teardown record (state.json's "teardown" list).
#include "cgroup/records.hpp"

#include <nlohmann/json.hpp>

namespace vcrun::cgroup {

void to_json(nlohmann::json& j, const MadeCgroup& c) { j = {{"path", c.path}, {"created", c.created}}; }

void from_json(const nlohmann::json& j, MadeCgroup& c) {
  c.path = j.at("path").get<std::string>();
  c.created = j.at("created").get<bool>();
}

void to_json(nlohmann::json& j, const MadeCgroupDirs& d) { j = d.dirs; }

void from_json(const nlohmann::json& j, MadeCgroupDirs& d) { d.dirs = j.get<std::vector<std::string>>(); }

void to_json(nlohmann::json& j, const MadeHooksCgroup& h) { j = h.path; }

void from_json(const nlohmann::json& j, MadeHooksCgroup& h) { h.path = j.get<std::string>(); }

}  // namespace vcrun::cgroup
