// Opening a namespace to join (linux.namespaces[i].path) without trusting the path: it
// must be an nsfs file of the declared type, and nothing else is opened for reading.
#pragma once

#include <cstddef>
#include <string>

#include "base/fd.hpp"
#include "vcrun/spec.hpp"

namespace vcrun {

// An O_RDONLY|O_CLOEXEC fd of the namespace at ns.path, for setns. The path is opened
// O_PATH first (a FIFO cannot block, a device is not opened), checked to be on nsfs and
// only then reopened; NS_GET_NSTYPE must match ns.type. Throws SpecError naming
// linux.namespaces[index].path otherwise.
UniqueFd open_namespace_path(const Namespace& ns, size_t index);

// "linux.namespaces[i]" of the entry of type `type` in `spec`, for errors about it.
std::string namespace_field(const ContainerSpec& spec, NamespaceType type);

}  // namespace vcrun
