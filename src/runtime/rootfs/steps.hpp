// The steps rootfs::setup runs, one file each (mounts.cpp, devices.cpp, masks.cpp); internal.
#pragma once

#include <string>
#include <vector>

#include "vcrun/spec.hpp"

namespace vcrun::rootfs {

// True outside any user namespace (uid_map is the identity over all ids). A user namespace
// changes what is allowed: no mknod, overlay needs userxattr.
bool in_initial_user_namespace();

// True when the spec mounts something exactly at `destination` (compared cleaned).
bool spec_mounts_at(const ContainerSpec& spec, const std::string& destination);

// mounts.cpp: every spec mount, in order, each target resolved inside root_fd; a bind
// whose bind_trees entry is >= 0 attaches that tree instead of resolving its source.
void mount_spec_mounts(const ContainerSpec& spec, int root_fd, const std::vector<int>& bind_trees);

// devices.cpp: a tmpfs on /dev unless the spec mounts /dev itself. Runs before the spec
// mounts so that spec mounts below /dev (/dev/mqueue, /dev/pts) land on it, not under it.
void mount_dev_tmpfs(const ContainerSpec& spec, int root_fd);
// devices.cpp: /dev/pts, /dev/shm, the default and linux.devices nodes, the /dev symlinks.
// Runs before pivot_root, while the host's nodes are still reachable for bind fallbacks.
void populate_dev(const ContainerSpec& spec, int root_fd);

// masks.cpp: linux.maskedPaths and linux.readonlyPaths, after pivot_root (root_fd is "/").
void mask_paths(const ContainerSpec& spec, int root_fd);
void make_readonly_paths(const ContainerSpec& spec, int root_fd);

}  // namespace vcrun::rootfs
