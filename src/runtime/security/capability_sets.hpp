// Internal to the security module: capability sets as bit masks and the raw steps that
// identity.cpp sequences around the user switch.
#pragma once

#include <cstdint>

#include "vcrun/spec.hpp"

namespace vcrun::security {

// Bit n = capability n, for the five sets of process.capabilities (absent: all zero).
struct CapabilitySets {
  uint64_t bounding = 0, effective = 0, permitted = 0, inheritable = 0, ambient = 0;
};

CapabilitySets resolve_capabilities(const Process& process);
uint64_t current_permitted();
// effective := permitted (after setresuid to non-root with keepcaps, effective is empty).
void raise_effective_to_permitted();
// inheritable, bounding, ambient, then permitted+effective: exact sets on return.
// Needs CAP_SETPCAP effective and permitted ⊇ every requested set.
void apply_capability_sets(const CapabilitySets& sets);

}  // namespace vcrun::security
