// ContainerSpec → OCI config.json: the inverse of parse_spec (internal).
#pragma once

#include <nlohmann/json.hpp>

#include "vcrun/spec.hpp"

namespace vcrun {

// The config.json of `spec`, such that parse_spec(serialize_spec(s).dump(), any) == s for
// every valid spec (tests/unit/test_spec_roundtrip.cpp holds it to that). Optionals that
// are unset, empty lists and maps, empty strings and false flags are left out, except the
// members OCI requires and process.terminal and root.readonly, which are always written.
// Paths are written as the spec holds them: absolute after parsing.
nlohmann::json serialize_spec(const ContainerSpec& spec);

}  // namespace vcrun
