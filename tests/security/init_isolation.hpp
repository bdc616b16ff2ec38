// Helpers shared by the init isolation cases (tests/security/test_init_*.cpp).
#pragma once

#include <algorithm>
#include <cctype>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/harness.hpp"

namespace vcrun::test::init_isolation {

inline std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The first "vcrun: " line of stderr: the one-line error of a failed command.
inline std::string one_error_line(const Result& r) {
  auto at = r.err.find("vcrun: ");
  if (at == std::string::npos) return {};
  return r.err.substr(at, r.err.find('\n', at) - at);
}

inline void write_config(const std::string& bundle, const nlohmann::json& config) {
  std::ofstream(bundle + "/config.json") << config.dump(2);
}

}  // namespace vcrun::test::init_isolation
