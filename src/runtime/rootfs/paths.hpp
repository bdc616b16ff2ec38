// Safe path resolution inside a container root: nothing here ever leaves the root fd.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/fd.hpp"

namespace vcrun::paths {

// Opens `path` (absolute, as seen inside the container) relative to root_fd, never leaving
// the root: symlinks are resolved as if root_fd were "/", magic links refused
// (openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS). Throws Error naming the path; the
// Error's code() is the errno (ENOENT for a missing path, so callers can ignore it).
UniqueFd open_in_root(int root_fd, const std::string& path, int flags, mode_t mode = 0);
// The same, but an empty fd for a path that does not exist: optional paths (masked and
// read-only lists) are looked up without the cost of an exception.
UniqueFd open_in_root_if_exists(int root_fd, const std::string& path, int flags, mode_t mode = 0);

// mkdir -p inside the root with the same guarantee; returns an O_PATH fd of the final dir.
// Dangling symlinks on the way are followed (inside the root) and their targets created.
UniqueFd mkdirs_in_root(int root_fd, const std::string& path, mode_t mode = 0755);

// The same, but no symbolic link may appear anywhere on the way: the Error's code() is
// ELOOP for one (nothing is created past it), ENOTDIR for a component that is not a
// directory. For mount points whose place is the point (procfs, sysfs): a link in the
// image would put them where maskedPaths and readonlyPaths do not reach.
UniqueFd mkdirs_in_root_no_symlinks(int root_fd, const std::string& path, mode_t mode = 0755);

// Like mkdirs_in_root for the parents, then makes sure the last component exists as a
// non-directory (creating an empty regular file with `mode` if missing; directories on
// the way get 0755): the mount point for a bind of a file. Returns an O_PATH fd of the final file.
UniqueFd create_file_in_root(int root_fd, const std::string& path, mode_t mode = 0644);

// Pure function: lexical clean-up of a path ("a//b/../c" -> "/a/c"), for tests and messages.
// The result is always absolute; ".." never climbs above "/".
std::string clean_path(const std::string& path);

// The path an fd refers to, as the kernel prints it (readlink of /proc/self/fd/N).
// Empty when /proc is not available.
std::string fd_path(int fd);

// True when the object behind `fd` is the root whose fd_path is `root_path`, or below it;
// used as a last check before mounting (callers resolve the root's path once). True as well
// when /proc is unavailable, as the resolution itself already stayed inside the root.
bool is_inside(const std::string& root_path, int fd);

}  // namespace vcrun::paths
