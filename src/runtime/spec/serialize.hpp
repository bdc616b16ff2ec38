// ContainerSpec → OCI config.json: the inverse of parse_spec (internal).
#pragma once

#include <nlohmann/json.hpp>

#include "vcrun/spec.hpp"

namespace vcrun {

// The config.json of `spec`, such that parse_spec(serialize_spec(s).dump(), any) == s for
// every spec in the parser's normal form (what parse_spec returns: absolute paths, "bind"
// for bind mounts, upper-case capabilities, an rlimit's resource matching its name, no
// numbers on pipes); tests/unit/test_spec_roundtrip.cpp holds it to that. Unset optionals,
// empty lists, maps and strings, and plain bools that are false are left out, except the
// members OCI requires and process.terminal and root.readonly, which are always written.
nlohmann::json serialize_spec(const ContainerSpec& spec);

}  // namespace vcrun
