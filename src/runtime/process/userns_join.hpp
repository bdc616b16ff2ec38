// Starting a container's init in a user namespace it joins (linux.namespaces user with a
// path) while creating its other namespaces.
//
// A namespace is owned by the user namespace of the process that creates it, and a process
// has privilege over it only through that user namespace. Cloned by the runtime (in the
// host's user namespace) and joining the user namespace afterwards, the init would own
// namespaces the host's user namespace owns and lose every capability over them on
// setns(CLONE_NEWUSER): no sethostname, no mounts. So the user namespace is joined first,
// then the other namespaces are created, as runc and crun do.
//
// The runtime itself cannot join (setns(CLONE_NEWUSER) needs a single-threaded caller and
// drops its capabilities outside the namespace; it still has cgroup and state work to do),
// so a short-lived helper does: it is forked, joins, clones the init as the runtime's own
// child (CLONE_PARENT, so waitpid and kill on error work as for any init) into the
// container's cgroup, reports the init's pid and exits. The path without a joined user
// namespace has no helper.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "vcrun/spec.hpp"

namespace vcrun::userns {

// Clones the init, through a helper that joins `user_ns` (an open namespace fd) and then
// `pid_ns` (>= 0: the pid namespace the init is born in; the caller must not have joined
// it itself, or the helper would report a pid of that namespace). The init is created
// with the CLONE_NEW* `new_flags` (owned by the joined user namespace), in `cgroup_fd`
// (CLONE_INTO_CGROUP; < 0: the caller's cgroup), as the caller's child. It runs `init`,
// which must not return (it is _exited with 127 if it does). Returns the init's pid in
// the caller's pid namespace; throws Error (what the helper failed at) otherwise, naming
// `fields` (the spec entries of the two namespaces, e.g. "linux.namespaces[3]").
struct JoinFields {
  std::string user, pid;
};
pid_t clone_init(int user_ns, int pid_ns, const JoinFields& fields, uint64_t new_flags, int cgroup_fd,
                 const std::function<void()>& init);

// The id maps of `pid`'s user namespace (/proc/<pid>/uid_map, gid_map), host ids as the
// caller's user namespace sees them.
std::vector<IdMapping> uid_map_of(pid_t pid);
std::vector<IdMapping> gid_map_of(pid_t pid);

}  // namespace vcrun::userns
