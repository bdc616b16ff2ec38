// Thin, throwing wrappers over the new mount API (fsopen/fsmount/open_tree/move_mount/
// mount_setattr): every mount vcrun makes inside a container goes through here.
//
// Why the new API rather than mount(2) on "/proc/self/fd/N": targets are fds that
// paths::open_in_root/mkdirs_in_root resolved inside the root, so nothing is looked up by
// path again between resolution and mount (no TOCTOU, no symlink swap); it does not need a
// /proc mounted (after pivot_root the container may have none); a mount is fully configured
// (read-only, nosuid, ...) while still detached, so a half-configured writable mount is
// never visible; and the kernel explains fsconfig failures through the fs context, which
// we put into the error message.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/fd.hpp"
#include "runtime/rootfs/mount_options.hpp"

namespace vcrun::mountapi {

// A new, detached filesystem: fsopen(type) + fsconfig("source", each data word, each
// superblock flag) + create + fsmount(attr). Throws Error("fsconfig size=x: ... (kernel
// says: ...)") without the object: callers add "mounts[i] ..." context.
UniqueFd new_filesystem(const std::string& type, const std::string& source,
                        const std::vector<std::string>& data,
                        const std::vector<std::string>& sb_flags, uint64_t attr);

// A detached copy of the mount tree at dir_fd/path (open_tree OPEN_TREE_CLONE); `path`
// empty means dir_fd itself. recursive: with the submounts (rbind), else only the top.
UniqueFd clone_tree(int dir_fd, const std::string& path, bool recursive);

// mount_setattr on the mount `fd` refers to (and, recursive, all below it).
void set_attr(int fd, const mounts::AttrChange& change, bool recursive);

// Changes propagation (MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE) of the mount at fd.
void set_propagation(int fd, unsigned long propagation, bool recursive);

// Attaches the detached mount `mnt_fd` on top of the object `target_fd` refers to.
void attach(int mnt_fd, int target_fd);

}  // namespace vcrun::mountapi
