// The seccomp filter a container's processes get.
#pragma once

#include <optional>
#include <string>

#include "runtime/security/seccomp.hpp"
#include "vcrun/spec.hpp"

namespace vcrun::security {

// Compiled in the parent, before anything is created, so profile errors change nothing.
// With `cache_dir` (the state root), the built-in profile's program is kept there
// (seccomp_cache.hpp) and read back by the next start instead of compiled again.
std::optional<SeccompProgram> compile_for(const ContainerSpec& spec, const std::string& cache_dir = {});

}  // namespace vcrun::security
