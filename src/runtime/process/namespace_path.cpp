// Opening and checking a namespace file named by linux.namespaces[i].path.
#include "runtime/process/namespace_path.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/statfs.h>

#include <cstring>
#include <string>

#include "runtime/process/clone.hpp"
#include "vcrun/error.hpp"

namespace vcrun {

namespace {

const char* name_of_flag(int flag) {
  for (auto t : {NamespaceType::pid, NamespaceType::network, NamespaceType::mount,
                 NamespaceType::ipc, NamespaceType::uts, NamespaceType::user,
                 NamespaceType::cgroup, NamespaceType::time})
    if (static_cast<int>(namespace_flag(t)) == flag) return namespace_name(t);
  return "unknown";
}

}  // namespace

UniqueFd open_namespace_path(const Namespace& ns, size_t index) {
  const std::string field = "linux.namespaces[" + std::to_string(index) + "].path";
  UniqueFd path_fd(::open(ns.path.c_str(), O_PATH | O_CLOEXEC));
  if (!path_fd) throw SpecError(field, "open " + ns.path + ": " + std::strerror(errno));
  struct statfs fs {};
  if (::fstatfs(path_fd.get(), &fs) != 0)
    throw SpecError(field, "statfs " + ns.path + ": " + std::strerror(errno));
  if (fs.f_type != NSFS_MAGIC)
    throw SpecError(field, ns.path + " is not a namespace file (such as /proc/PID/ns/" +
                               namespace_name(ns.type) + ")");
  // The same inode through the O_PATH fd: nothing can swap the file in between.
  std::string self = "/proc/self/fd/" + std::to_string(path_fd.get());
  UniqueFd fd(::open(self.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw SpecError(field, "open " + ns.path + ": " + std::strerror(errno));
  int type = ::ioctl(fd.get(), NS_GET_NSTYPE);
  if (type < 0) throw SpecError(field, "NS_GET_NSTYPE on " + ns.path + ": " + std::strerror(errno));
  if (static_cast<uint64_t>(type) != namespace_flag(ns.type))
    throw SpecError(field, ns.path + " is a " + name_of_flag(type) + " namespace, not " +
                               namespace_name(ns.type));
  return fd;
}

std::string namespace_field(const ContainerSpec& spec, NamespaceType type) {
  for (size_t i = 0; i < spec.linux.namespaces.size(); ++i)
    if (spec.linux.namespaces[i].type == type) return "linux.namespaces[" + std::to_string(i) + "]";
  return "linux.namespaces";
}

}  // namespace vcrun
