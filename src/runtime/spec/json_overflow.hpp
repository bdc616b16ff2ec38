// Where in a JSON text a number overflows a double ("uid": 1e999): nlohmann's parser says
// only "number overflow parsing '1e999'", so a second, path-tracking pass finds the field.
#pragma once

#include <optional>
#include <string>

namespace vcrun {

// The field of the first number in `text` that overflows a double, as a spec field name
// below `root` ("process.user.uid", "process.rlimits[0].hard"; `root` "" for config.json)
// and the number as written; nullopt when there is none (or the text fails otherwise first).
struct JsonOverflow {
  std::string field;
  std::string token;
};
std::optional<JsonOverflow> find_json_overflow(const std::string& text, const std::string& root);

}  // namespace vcrun
