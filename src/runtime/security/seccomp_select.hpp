// The seccomp filter a container's processes get.
#pragma once

#include <optional>

#include "runtime/security/seccomp.hpp"
#include "vcrun/spec.hpp"

namespace vcrun::security {

// Compiled in the parent, before anything is created, so profile errors change nothing.
// The built-in profile's program was compiled by the build (seccomp_builtin.hpp).
std::optional<SeccompProgram> compile_for(const ContainerSpec& spec);

}  // namespace vcrun::security
