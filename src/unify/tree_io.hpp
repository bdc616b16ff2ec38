// File access inside a tree that a symlink swapped in mid-run cannot redirect: every
// open resolves beneath the tree's root fd, without symlinks and without leaving its file
// system; and the crash-safe replacement of a path by a link.
#pragma once

#include <cstdint>
#include <string>

#include "base/fd.hpp"

namespace vcrun::unify {

// The one temporary name a run uses per directory; any file by this name is a leftover
// extra link of an interrupted run (its target still has another name), removed on sight.
inline constexpr const char* kTempName = ".vcrun-unify.tmp";

// openat2(root_fd, rel, flags | O_NOFOLLOW | O_CLOEXEC) with RESOLVE_BENEATH,
// RESOLVE_NO_SYMLINKS and RESOLVE_NO_XDEV ("" opens the root itself). Invalid fd and errno
// set on failure.
UniqueFd open_beneath(int root_fd, const std::string& rel, int flags);

// XXH3-64 of the whole file (pread from 0, so the fd's offset does not matter).
uint64_t hash_file(int fd, const std::string& what);

// True when both files hold exactly `size` identical bytes.
bool same_bytes(int a, int b, uint64_t size, const std::string& what);

// Replaces `name` in `dir_fd` by a link to the inode open as `target_fd` (O_PATH is
// enough): link to kTempName in the same directory, then rename over `name`. At any
// instant `name` holds either its old inode or the new one.
void replace_with_link(int target_fd, int dir_fd, const std::string& name, const std::string& what);

}  // namespace vcrun::unify
