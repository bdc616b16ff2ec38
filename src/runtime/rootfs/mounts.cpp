// The spec's mounts (OCI "mounts"), each attached on a target resolved inside the rootfs.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <algorithm>
#include <string>

#include "base/fd.hpp"
#include "cgroup/hierarchy.hpp"
#include "runtime/rootfs/mount_api.hpp"
#include "runtime/rootfs/mount_options.hpp"
#include "runtime/rootfs/paths.hpp"
#include "runtime/rootfs/steps.hpp"
#include "runtime/rootfs/tree_copy.hpp"
#include "vcrun/error.hpp"

namespace vcrun::rootfs {

namespace {

// Attributes fsmount(2) accepts at creation; clearing bits means nothing on a new mount.
constexpr uint64_t kFsmountAttrs = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                   MOUNT_ATTR_NOEXEC | MOUNT_ATTR__ATIME | MOUNT_ATTR_NODIRATIME |
                                   MOUNT_ATTR_NOSYMFOLLOW;

struct Target {
  std::string label;  // "mounts[3]"
  std::string destination;
  int root_fd;
  const std::string& root_path;  // paths::fd_path(root_fd)
};

enum class Place { file, directory, ordinary_directory };

// Resolves (creating as needed) the mount point inside the rootfs. A directory unless the
// source of a bind is not one: then an empty file, as a file can only be bound on a file.
// procfs and sysfs go on an ordinary directory, with no symlink on the way (runc's rule
// since CVE-2019-19921): an image's /proc -> /tmp/x would put the real procfs at /tmp/x,
// where no maskedPaths or readonlyPaths entry covers it.
UniqueFd resolve_target(const Target& t, Place place) {
  UniqueFd fd;
  try {
    if (place == Place::file)
      fd = paths::create_file_in_root(t.root_fd, t.destination);
    else if (place == Place::directory)
      fd = paths::mkdirs_in_root(t.root_fd, t.destination);
    else
      fd = paths::mkdirs_in_root_no_symlinks(t.root_fd, t.destination);
  } catch (const Error& e) {
    const std::string field = t.label + ".destination \"" + t.destination + "\"";
    if (place == Place::ordinary_directory && e.code() == ELOOP)
      throw Error(field + ": must be an ordinary directory, not a symlink (nor beneath one)", ELOOP);
    if (place == Place::ordinary_directory && e.code() == ENOTDIR)
      throw Error(field + ": must be an ordinary directory (" + e.what() + ")", ENOTDIR);
    throw e.with_context(field);
  }
  if (!paths::is_inside(t.root_path, fd.get()))
    throw Error(t.label + ".destination \"" + t.destination + "\": resolves outside the rootfs (" +
                paths::fd_path(fd.get()) + ")", EXDEV);
  return fd;
}

void finish(int mnt_fd, const mounts::MountOptions& o) {
  mountapi::set_attr(mnt_fd, o.recursive_attr, true);
}

void apply_propagation(int mnt_fd, const mounts::MountOptions& o) {
  // After attaching: propagation is a property of the mount's place in the namespace.
  mountapi::set_propagation(mnt_fd, o.propagation, o.propagation_recursive);
}

// `cloned`: the runtime's copy of the source (user namespaces), or -1.
void bind_mount(const Mount& m, const mounts::MountOptions& o, const Target& t, int cloned) {
  struct stat st {};
  if (cloned >= 0 ? ::fstat(cloned, &st) != 0 : ::stat(m.source.c_str(), &st) != 0)
    throw_errno(t.label + ".source \"" + m.source + "\"");
  UniqueFd target = resolve_target(t, S_ISDIR(st.st_mode) ? Place::directory : Place::file);
  if (!o.data.empty())
    spdlog::warn("{}: options {} have no effect on a bind mount", t.label, o.data_string());
  UniqueFd tree = cloned >= 0 ? UniqueFd(::fcntl(cloned, F_DUPFD_CLOEXEC, 0))
                              : mountapi::clone_tree(AT_FDCWD, m.source, o.recursive);
  if (!tree) throw_errno(t.label + ".source \"" + m.source + "\": dup");
  // "ro" on an rbind affects only the top mount, as mount(8) and runc do; "rro" is the
  // recursive form. Flags are changed on the detached copy, so the writable state is never
  // visible in the container.
  mountapi::set_attr(tree.get(), o.attr, false);
  finish(tree.get(), o);
  mountapi::attach(tree.get(), target.get());
  apply_propagation(tree.get(), o);
}

// sysfs shows the network devices of the mounter's netns; a container sharing the host's
// netns gets the host's /sys bound read-only instead (as runc does), recursively so that
// the host's cgroup hierarchies below it are read-only too.
void bind_host_sys(const mounts::MountOptions& o, const Target& t) {
  UniqueFd target = resolve_target(t, Place::ordinary_directory);
  UniqueFd tree = mountapi::clone_tree(AT_FDCWD, "/sys", true);
  mounts::AttrChange ro;
  ro.set = MOUNT_ATTR_RDONLY;
  mountapi::set_attr(tree.get(), ro, true);
  mounts::AttrChange top = o.attr;
  top.clr &= ~static_cast<uint64_t>(MOUNT_ATTR_RDONLY);  // read-only regardless of "rw"
  mountapi::set_attr(tree.get(), top, false);
  finish(tree.get(), o);
  mountapi::attach(tree.get(), target.get());
  apply_propagation(tree.get(), o);
}

// cgroup2 for a container without a cgroup namespace: a copy of the runtime's own cgroup2
// mount (the same view a new mount would give), never a new superblock mount. In the
// initial cgroup namespace a new cgroup2 mount re-applies its options (nsdelegate,
// memory_recursiveprot, favordynmods...) to the whole hierarchy, so a container could turn
// off the host's; and applying them write-locks the kernel's cgroup_threadgroup_rwsem,
// which waits for an RCU grace period (measured 5-28 ms on an idle machine).
bool bind_runtime_cgroup2(const mounts::MountOptions& o, const Target& t) {
  std::string source;
  try {
    source = cgroup::cgroup2_mount().mount_point;
  } catch (const Error&) {
    return false;  // none mounted here: a new mount it is
  }
  UniqueFd tree;
  try {
    tree = mountapi::clone_tree(AT_FDCWD, source, false);
    mountapi::set_attr(tree.get(), o.attr, false);
    finish(tree.get(), o);
  } catch (const Error& e) {
    // In a user namespace the copy's flags are locked to the runtime's mount's (atime...).
    spdlog::debug("{}: cannot use a copy of {} ({}): mounting cgroup2", t.label, source, e.what());
    return false;
  }
  UniqueFd target = resolve_target(t, Place::directory);
  mountapi::attach(tree.get(), target.get());
  apply_propagation(tree.get(), o);
  spdlog::debug("{}: cgroup2 without a cgroup namespace: bound {} (the whole hierarchy)", t.label, source);
  return true;
}

// A new tmpfs takes the mode of the directory it covers, setuid/setgid/sticky bits included
// (unless "mode=" says otherwise), and with tmpcopyup a copy of what that directory holds.
void fill_tmpfs(int mnt_fd, int target_fd, const mounts::MountOptions& o, const Target& t) {
  struct stat st;
  if (::fstat(target_fd, &st) != 0) throw_errno(t.label + ": stat " + t.destination);
  bool has_mode = std::any_of(o.data.begin(), o.data.end(),
                              [](const std::string& w) { return w.rfind("mode=", 0) == 0; });
  // The detached mount's fd is O_PATH: its root is reached through /proc/self/fd.
  std::string root = "/proc/self/fd/" + std::to_string(mnt_fd);
  if (!has_mode && ::chmod(root.c_str(), st.st_mode & 07777) != 0)
    throw_errno(t.label + ": chmod the tmpfs on " + t.destination);
  if (!o.tmpcopyup) return;
  UniqueFd from(::openat(target_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  UniqueFd to(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!from || !to) throw_errno(t.label + ": tmpcopyup: open " + t.destination);
  try {
    copy_tree(from.get(), to.get());
  } catch (const Error& e) {
    throw e.with_context(t.label + ": tmpcopyup of " + t.destination);
  }
}

void new_fs_mount(const ContainerSpec& spec, const Mount& m, const mounts::MountOptions& o,
                  const Target& t) {
  std::string type = m.type;
  if (type == "cgroup") {
    // vcrun manages cgroup v2 only; a v1 "cgroup" mount request gets the unified
    // hierarchy (never a v1 controller, which on hybrid hosts is the host's own tree).
    spdlog::debug("{}: mounting cgroup2 for type \"cgroup\"", t.label);
    type = "cgroup2";
  }
  if (type == "cgroup2" && !spec.has_namespace(NamespaceType::cgroup) && bind_runtime_cgroup2(o, t))
    return;
  const bool pseudo = type == "proc" || type == "sysfs";
  UniqueFd target = resolve_target(t, pseudo ? Place::ordinary_directory : Place::directory);
  uint64_t attr = o.attr.set & kFsmountAttrs;
  const bool tmpfs = type == "tmpfs";
  // A read-only tmpfs is filled first: with tmpcopyup, and at /dev (populate_dev makes
  // its nodes; setup() turns it read-only afterwards, as runc does).
  const bool ro_later = tmpfs && (attr & MOUNT_ATTR_RDONLY);
  if (ro_later) attr &= ~static_cast<uint64_t>(MOUNT_ATTR_RDONLY);
  UniqueFd mnt = mountapi::new_filesystem(type, m.source, o.data, o.sb_flags, attr);
  if (tmpfs) fill_tmpfs(mnt.get(), target.get(), o, t);
  if (ro_later && t.destination != "/dev") {
    mounts::AttrChange ro;
    ro.set = MOUNT_ATTR_RDONLY;
    mountapi::set_attr(mnt.get(), ro, false);
  }
  finish(mnt.get(), o);
  mountapi::attach(mnt.get(), target.get());
  apply_propagation(mnt.get(), o);
}

// "remount": change the flags of what is already mounted at the destination.
void remount(const mounts::MountOptions& o, const Target& t) {
  UniqueFd target;
  try {
    target = paths::open_in_root(t.root_fd, t.destination, O_PATH | O_DIRECTORY);
  } catch (const Error& e) {
    throw e.with_context(t.label + ".destination \"" + t.destination + "\"");
  }
  mountapi::set_attr(target.get(), o.attr, false);
  finish(target.get(), o);
  apply_propagation(target.get(), o);
}

bool is_bind(const Mount& m, const mounts::MountOptions& o) { return m.type == "bind" || o.bind; }

void mount_one(const ContainerSpec& spec, const Mount& m, const Target& t, int cloned) {
  mounts::MountOptions o = mounts::parse_mount_options(m.options);
  for (const auto& word : o.ignored) spdlog::debug("{}: ignoring option \"{}\"", t.label, word);
  if (o.remount) return remount(o, t);
  if (is_bind(m, o)) return bind_mount(m, o, t, cloned);
  if (m.type == "sysfs" && !spec.has_namespace(NamespaceType::network)) return bind_host_sys(o, t);
  new_fs_mount(spec, m, o, t);
}

}  // namespace

bool spec_mounts_at(const ContainerSpec& spec, const std::string& destination) {
  std::string want = paths::clean_path(destination);
  for (const auto& m : spec.mounts)
    if (paths::clean_path(m.destination) == want) return true;
  return false;
}

std::vector<UniqueFd> clone_bind_sources(const ContainerSpec& spec) {
  std::vector<UniqueFd> trees(spec.mounts.size());
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    const Mount& m = spec.mounts[i];
    mounts::MountOptions o = mounts::parse_mount_options(m.options);
    if (o.remount || !is_bind(m, o)) continue;
    try {
      trees[i] = mountapi::clone_tree(AT_FDCWD, m.source, o.recursive);
    } catch (const Error& e) {
      throw e.with_context("mounts[" + std::to_string(i) + "].source \"" + m.source + "\"");
    }
  }
  return trees;
}

void mount_spec_mounts(const ContainerSpec& spec, int root_fd, const std::vector<int>& bind_trees) {
  const std::string root_path = paths::fd_path(root_fd);
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    const Mount& m = spec.mounts[i];
    Target t{"mounts[" + std::to_string(i) + "]", paths::clean_path(m.destination), root_fd, root_path};
    if (t.destination == "/")
      throw Error(t.label + ".destination \"" + m.destination +
                  "\": cannot mount over the container's root", EINVAL);
    try {
      mount_one(spec, m, t, i < bind_trees.size() ? bind_trees[i] : -1);
    } catch (const Error& e) {
      std::string what = e.what();
      if (what.rfind(t.label, 0) == 0) throw;  // already names the field
      throw e.with_context(t.label + ": mount " + m.type + " on " + t.destination);
    }
    spdlog::debug("{}: mounted {} on {}", t.label, m.type, t.destination);
  }
}

}  // namespace vcrun::rootfs
