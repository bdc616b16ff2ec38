// Unit-test support: the one-line error parse_spec gives for a config, "<accepted>" when
// it has none.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "vcrun/error.hpp"
#include "vcrun/spec.hpp"

namespace vcrun::test {

// The smallest config parse_spec accepts: sh in rootfs, mount and pid namespaces.
inline nlohmann::json minimal_spec() {
  return nlohmann::json::parse(R"({"ociVersion": "1.0.2", "process": {"args": ["sh"], "cwd": "/"},
                                   "root": {"path": "rootfs"},
                                   "linux": {"namespaces": [{"type": "mount"}, {"type": "pid"}]}})");
}

// `base` with the RFC 7386 merge patch applied (null deletes a key, arrays replace).
inline std::string spec_error_of(nlohmann::json base, const std::string& patch) {
  base.merge_patch(nlohmann::json::parse(patch));
  try {
    parse_spec(base.dump(), "/bundle");
  } catch (const SpecError& e) {
    return e.what();
  }
  return "<accepted>";
}

}  // namespace vcrun::test
