// The container's /dev: its tmpfs, device nodes (mknod or bind of the host's), pts, shm, links.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "base/fd.hpp"
#include "base/fs_util.hpp"
#include "runtime/rootfs/mount_api.hpp"
#include "runtime/rootfs/paths.hpp"
#include "runtime/rootfs/steps.hpp"
#include "vcrun/error.hpp"

namespace vcrun::rootfs {

namespace {

// The nodes every container gets (the OCI runtime-spec's "default devices").
const std::array<DeviceNode, 6> kDefaultDevices{{
    {"/dev/null", 'c', 1, 3, 0666, std::nullopt, std::nullopt},
    {"/dev/zero", 'c', 1, 5, 0666, std::nullopt, std::nullopt},
    {"/dev/full", 'c', 1, 7, 0666, std::nullopt, std::nullopt},
    {"/dev/random", 'c', 1, 8, 0666, std::nullopt, std::nullopt},
    {"/dev/urandom", 'c', 1, 9, 0666, std::nullopt, std::nullopt},
    {"/dev/tty", 'c', 5, 0, 0666, std::nullopt, std::nullopt},
}};

struct Link {
  const char* name;
  const char* target;
};
const std::array<Link, 5> kDevLinks{{
    {"fd", "/proc/self/fd"},
    {"stdin", "/proc/self/fd/0"},
    {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"},
    {"ptmx", "pts/ptmx"},
}};

bool spec_binds_dev(const ContainerSpec& spec) {
  for (const auto& m : spec.mounts) {
    if (paths::clean_path(m.destination) != "/dev") continue;
    if (m.type == "bind") return true;
    for (const auto& o : m.options)
      if (o == "bind" || o == "rbind") return true;
  }
  return false;
}

const char* kind_name(char type) {
  switch (type) {
    case 'b': return "block";
    case 'p': return "fifo";
    default: return "char";
  }
}

// Bind-mounts the host's node at the same path onto an empty file in the rootfs, after
// checking it is the very device asked for.
bool bind_host_node(int root_fd, const DeviceNode& d) {
  struct stat st {};
  if (::stat(d.path.c_str(), &st) != 0) return false;
  bool type_ok = d.type == 'b' ? S_ISBLK(st.st_mode) : S_ISCHR(st.st_mode);
  if (!type_ok || major(st.st_rdev) != static_cast<unsigned>(d.major) ||
      minor(st.st_rdev) != static_cast<unsigned>(d.minor))
    return false;
  UniqueFd target = paths::create_file_in_root(root_fd, d.path, 0);
  UniqueFd tree = mountapi::clone_tree(AT_FDCWD, d.path, false);
  mountapi::attach(tree.get(), target.get());
  return true;
}

void create_node(int root_fd, const DeviceNode& d, const std::string& label, bool userns) {
  std::string path = paths::clean_path(d.path);
  auto slash = path.rfind('/');
  std::string dir = path.substr(0, slash), name = path.substr(slash + 1);
  UniqueFd parent = paths::mkdirs_in_root(root_fd, dir.empty() ? "/" : dir);
  mode_t perm = d.file_mode.value_or(0666) & 07777;
  mode_t fmt = d.type == 'b' ? S_IFBLK : d.type == 'p' ? S_IFIFO : S_IFCHR;
  dev_t dev = d.type == 'p' ? 0 : makedev(d.major, d.minor);

  if (::mknodat(parent.get(), name.c_str(), fmt | perm, dev) == 0) {
    // mknod honours the umask; the spec's mode is meant exactly. The node is ours (fresh,
    // not a symlink), so these by-name calls act on it.
    if (::fchmodat(parent.get(), name.c_str(), perm, 0) != 0) throw_errno(label + ": chmod");
    if ((d.uid || d.gid) && ::fchownat(parent.get(), name.c_str(), d.uid.value_or(0),
                                       d.gid.value_or(0), AT_SYMLINK_NOFOLLOW) != 0)
      throw_errno(label + ": chown");
    return;
  }
  int err = errno;
  if (err == EEXIST) {
    spdlog::debug("{}: {} already exists, kept", label, path);
    return;
  }
  std::string what = label + " (" + kind_name(d.type) + " " + std::to_string(d.major) + ":" +
                     std::to_string(d.minor) + "): mknod: " + std::strerror(err);
  if ((err == EPERM || err == EACCES) && d.type != 'p') {
    if (d.type == 'b' && !userns)
      throw Error(what + " (the host's device policy refuses block device nodes)", err);
    try {
      if (bind_host_node(root_fd, d)) {
        spdlog::debug("{}: mknod refused, bound the host's {}", label, d.path);
        return;
      }
    } catch (const Error& e) {
      throw Error(what + "; binding the host's node instead failed: " + e.what(), e.code());
    }
    throw Error(what + "; the host has no matching " + d.path + " to bind instead", err);
  }
  throw Error(what, err);
}

constexpr unsigned kTtyGid = 5;

// Whether `gid` has a mapping in this process's user namespace.
bool gid_mapped(unsigned gid) {
  std::istringstream map(read_file("/proc/self/gid_map"));
  for (unsigned long inside, outside, count; map >> inside >> outside >> count;)
    if (gid >= inside && gid - inside < count) return true;
  return false;
}

void mount_new_fs(int root_fd, const std::string& path, const std::string& type,
                  const std::vector<std::string>& data, uint64_t attr) {
  try {
    UniqueFd target = paths::mkdirs_in_root(root_fd, path);
    UniqueFd mnt = mountapi::new_filesystem(type, type, data, {}, attr);
    mountapi::attach(mnt.get(), target.get());
  } catch (const Error& e) {
    throw e.with_context("mount " + type + " on " + path);
  }
}

}  // namespace

void mount_dev_tmpfs(const ContainerSpec& spec, int root_fd) {
  if (spec_mounts_at(spec, "/dev")) return;
  mount_new_fs(root_fd, "/dev", "tmpfs", {"mode=755", "size=65536k"},
               MOUNT_ATTR_NOSUID | MOUNT_ATTR_STRICTATIME);
}

void populate_dev(const ContainerSpec& spec, int root_fd) {
  if (spec_binds_dev(spec)) {
    spdlog::debug("/dev is a bind mount from the spec: no device nodes created");
    return;
  }
  if (!spec_mounts_at(spec, "/dev/pts")) {
    // New ptys belong to the tty group (gid 5), as runc's default spec asks, unless a user
    // namespace leaves gid 5 unmapped (the mount would fail).
    std::vector<std::string> opts = {"newinstance", "ptmxmode=0666", "mode=0620"};
    if (gid_mapped(kTtyGid)) opts.push_back("gid=" + std::to_string(kTtyGid));
    mount_new_fs(root_fd, "/dev/pts", "devpts", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
  }
  if (!spec_mounts_at(spec, "/dev/shm"))
    mount_new_fs(root_fd, "/dev/shm", "tmpfs", {"mode=1777", "size=65536k"},
                 MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);

  // In the initial user namespace a refused mknod is the host's device policy speaking (the
  // device cgroup or an LSM): binding the host's node instead would dodge that decision for
  // block devices, so there only a user namespace, where mknod is never allowed, falls back.
  const bool userns = !in_initial_user_namespace();
  // The spec's devices first: where one replaces a default node, the spec's mode and
  // owner win (a default finding the node already there keeps it).
  for (size_t i = 0; i < spec.linux.devices.size(); ++i) {
    const DeviceNode& d = spec.linux.devices[i];
    create_node(root_fd, d, "linux.devices[" + std::to_string(i) + "] \"" + d.path + "\"", userns);
  }
  for (const auto& d : kDefaultDevices) create_node(root_fd, d, d.path, userns);

  UniqueFd dev = paths::mkdirs_in_root(root_fd, "/dev");
  for (const auto& l : kDevLinks) {
    if (::symlinkat(l.target, dev.get(), l.name) != 0 && errno != EEXIST)
      throw_errno(std::string("symlink /dev/") + l.name + " -> " + l.target);
  }
}

}  // namespace vcrun::rootfs
