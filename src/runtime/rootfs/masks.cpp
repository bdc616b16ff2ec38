// linux.maskedPaths (hidden behind /dev/null or an empty tmpfs) and linux.readonlyPaths.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "base/fd.hpp"
#include "runtime/rootfs/mount_api.hpp"
#include "runtime/rootfs/paths.hpp"
#include "runtime/rootfs/steps.hpp"
#include "vcrun/error.hpp"

namespace vcrun::rootfs {

namespace {

// Opens a path to protect; an absent path has nothing to protect (the OCI spec's default
// lists cover files that exist only on some kernels), so it yields an empty fd.
UniqueFd open_existing(int root_fd, const std::string& path) {
  return paths::open_in_root_if_exists(root_fd, path, O_PATH);
}

void mask_one(int root_fd, const std::string& path) {
  UniqueFd target = open_existing(root_fd, path);
  if (!target) {
    spdlog::debug("masked path {} does not exist", path);
    return;
  }
  struct stat st {};
  if (::fstat(target.get(), &st) != 0) throw_errno("stat");
  UniqueFd cover;
  if (S_ISDIR(st.st_mode)) {
    cover = mountapi::new_filesystem(
        "tmpfs", "tmpfs", {"size=4k", "nr_inodes=1"}, {},
        MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  } else {
    UniqueFd null = paths::open_in_root(root_fd, "/dev/null", O_PATH);
    cover = mountapi::clone_tree(null.get(), "", false);
  }
  mountapi::attach(cover.get(), target.get());
}

// Bind the path onto itself and make the copy read-only. mount_setattr sets only the
// read-only bit, so nosuid/nodev/noexec the mount already had are kept as they are.
void make_readonly(int root_fd, const std::string& path) {
  UniqueFd target = open_existing(root_fd, path);
  if (!target) {
    spdlog::debug("read-only path {} does not exist", path);
    return;
  }
  UniqueFd tree = mountapi::clone_tree(target.get(), "", true);
  mounts::AttrChange ro;
  ro.set = MOUNT_ATTR_RDONLY;
  mountapi::set_attr(tree.get(), ro, true);
  mountapi::attach(tree.get(), target.get());
}

}  // namespace

void mask_paths(const ContainerSpec& spec, int root_fd) {
  const auto& list = spec.linux.masked_paths;
  for (size_t i = 0; i < list.size(); ++i) {
    try {
      mask_one(root_fd, list[i]);
    } catch (const Error& e) {
      throw e.with_context("linux.maskedPaths[" + std::to_string(i) + "] \"" + list[i] + "\"");
    }
  }
}

void make_readonly_paths(const ContainerSpec& spec, int root_fd) {
  const auto& list = spec.linux.readonly_paths;
  for (size_t i = 0; i < list.size(); ++i) {
    try {
      make_readonly(root_fd, list[i]);
    } catch (const Error& e) {
      throw e.with_context("linux.readonlyPaths[" + std::to_string(i) + "] \"" + list[i] + "\"");
    }
  }
}

}  // namespace vcrun::rootfs
