// The mark `vcrun unify` leaves on each tree it was given: an xattr on the tree's root
// directory (trusted.*: only a privileged process can set or remove it, and it is not a
// file a container would see in its "/").
#pragma once

#include <optional>
#include <string>

namespace vcrun::unify {

inline constexpr const char* kMarkerXattr = "trusted.vcrun.unified";

// Marks the directory open as `dir_fd` (O_RDONLY). Throws Error naming `what`.
void mark_unified(int dir_fd, const std::string& what);

// `path` or the nearest of its ancestors that carries the mark, as an absolute path with
// symlinks resolved; nullopt when none does (or `path` does not exist).
std::optional<std::string> marked_tree_of(const std::string& path);

}  // namespace vcrun::unify
