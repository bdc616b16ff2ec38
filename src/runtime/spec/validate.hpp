// Internal pieces of validate_spec split out by section (spec_validate_*.cpp).
#pragma once

#include "vcrun/spec.hpp"

namespace vcrun::spec_detail {

void validate_resources(const Resources& r);  // linux.resources
void validate_seccomp(const Seccomp& s);      // linux.seccomp
void validate_cgroups_path(const std::string& path);  // linux.cgroupsPath

}  // namespace vcrun::spec_detail
