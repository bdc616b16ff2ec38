// Internal pieces of validate_spec split out by section (spec_validate_resources.cpp).
#pragma once

#include "vcrun/spec.hpp"

namespace vcrun::spec_detail {

void validate_resources(const Resources& r);  // linux.resources
void validate_seccomp(const Seccomp& s);      // linux.seccomp

}  // namespace vcrun::spec_detail
