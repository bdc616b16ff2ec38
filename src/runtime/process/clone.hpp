// clone3 with namespace flags and CLONE_INTO_CGROUP: the container init is created in
// its namespaces and its cgroup in one step, so a crash never leaves it outside both.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "vcrun/spec.hpp"

namespace vcrun {

// Returns the child's pid in the parent and 0 in the child (fork semantics: the child
// runs on a copy of the parent's stack). cgroup_fd < 0: stay in the caller's cgroup.
pid_t clone_into(uint64_t namespace_flags, int cgroup_fd);

// clone_into, but the child is the caller's sibling (CLONE_PARENT): its parent is the
// caller's parent, which is sent the caller's exit signal when it dies. Must not be
// called by a pid namespace's init.
pid_t clone_sibling_into(uint64_t namespace_flags, int cgroup_fd);

// CLONE_NEW* flag of a namespace type.
uint64_t namespace_flag(NamespaceType type);

}  // namespace vcrun
