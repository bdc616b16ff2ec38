// Opening and checking a namespace file named by linux.namespaces[i].path.
#include "runtime/process/namespace_path.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
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

// The file name under /proc/<pid>/ns/.
const char* proc_ns_name(NamespaceType t) {
  switch (t) {
    case NamespaceType::network: return "net";
    case NamespaceType::mount: return "mnt";
    default: return namespace_name(t);
  }
}

NamespaceId id_of_path(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {st.st_dev, st.st_ino};
}

// What the init would change in a joined namespace of this type (a clause for the error),
// or empty: nothing.
std::string changes_made_in(const ContainerSpec& spec, NamespaceType type) {
  auto sysctl_of = [&](bool net) -> std::string {
    // validate_spec admitted net.* for the network namespace and the rest for ipc.
    for (const auto& [key, value] : spec.linux.sysctl)
      if ((key.rfind("net.", 0) == 0 || key.rfind("net/", 0) == 0) == net)
        return "setting linux.sysctl[\"" + key + "\"] would change it";
    return {};
  };
  switch (type) {
    case NamespaceType::mount: return "the container's mounts and pivot_root would rearrange it";
    case NamespaceType::uts:
      if (!spec.hostname.empty()) return "setting hostname would change it";
      if (!spec.domainname.empty()) return "setting domainname would change it";
      return {};
    case NamespaceType::ipc: return sysctl_of(false);
    case NamespaceType::network: return sysctl_of(true);
    default: return {};  // pid, user, cgroup, time: only entered
  }
}

}  // namespace

NamespaceId own_namespace_id(NamespaceType type) {
  return id_of_path(std::string("/proc/self/ns/") + proc_ns_name(type));
}

NamespaceOwner namespace_owner(int fd, NamespaceType type) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_errno("fstat namespace fd");
  NamespaceId id{st.st_dev, st.st_ino};
  if (id == own_namespace_id(type)) return NamespaceOwner::runtime;
  // PID 1's may be unreadable (a runtime in a user namespace): {0, 0} matches nothing.
  if (id == id_of_path(std::string("/proc/1/ns/") + proc_ns_name(type))) return NamespaceOwner::host;
  return NamespaceOwner::other;
}

void refuse_changes_to_own_namespace(const ContainerSpec& spec, size_t index, int fd) {
  const Namespace& ns = spec.linux.namespaces[index];
  std::string change = changes_made_in(spec, ns.type);
  if (change.empty()) return;
  NamespaceOwner owner = namespace_owner(fd, ns.type);
  if (owner == NamespaceOwner::other) return;
  const std::string field = "linux.namespaces[" + std::to_string(index) + "].path";
  throw SpecError(field, ns.path + " is " +
                             (owner == NamespaceOwner::runtime ? "vcrun's own " : "the host's (PID 1's) ") +
                             namespace_name(ns.type) + " namespace: " + change);
}

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
