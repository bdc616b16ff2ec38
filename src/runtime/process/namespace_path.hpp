// Opening a namespace to join (linux.namespaces[i].path) without trusting the path: it
// must be an nsfs file of the declared type, and nothing else is opened for reading.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/fd.hpp"
#include "vcrun/spec.hpp"

namespace vcrun {

// An O_RDONLY|O_CLOEXEC fd of the namespace at ns.path, for setns. The path is opened
// O_PATH first (a FIFO cannot block, a device is not opened), checked to be on nsfs and
// only then reopened; NS_GET_NSTYPE must match ns.type. Throws SpecError naming
// linux.namespaces[index].path otherwise.
UniqueFd open_namespace_path(const Namespace& ns, size_t index);

// Whose namespace an open namespace fd is, by nsfs identity (st_dev, st_ino): vcrun's own
// (the caller's: /proc/self/ns/<type>), the host's (PID 1's), or another one.
enum class NamespaceOwner { other, runtime, host };
NamespaceOwner namespace_owner(int fd, NamespaceType type);

// A namespace joined by path (linux.namespaces[index], open as fd) that is vcrun's own or
// the host's must come through the container's setup unchanged: the init would otherwise
// pivot the caller's root (mount), set the caller's hostname (uts), write its sysctls
// (ipc, network). Refuses such a spec with SpecError naming linux.namespaces[index].path.
// pid, user, cgroup and time namespaces are only entered: vcrun changes nothing in them.
void refuse_changes_to_own_namespace(const ContainerSpec& spec, size_t index, int fd);

// (st_dev, st_ino) of a namespace; {0, 0} when unknown (own_namespace_id: the calling
// process's of that type).
struct NamespaceId {
  uint64_t dev = 0;
  uint64_t ino = 0;
  bool operator==(const NamespaceId&) const = default;
};
NamespaceId own_namespace_id(NamespaceType type);

// "linux.namespaces[i]" of the entry of type `type` in `spec`, for errors about it.
std::string namespace_field(const ContainerSpec& spec, NamespaceType type);

}  // namespace vcrun
