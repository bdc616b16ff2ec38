// Setting and finding the unified-tree mark.
#include "unify/marker.hpp"

#include <sys/xattr.h>

#include <cerrno>
#include <filesystem>

#include "vcrun/error.hpp"
#include "vcrun/unify.hpp"

namespace vcrun::unify {

void mark_unified(int dir_fd, const std::string& what) {
  static const char kValue[] = "1";
  if (::fsetxattr(dir_fd, kMarkerXattr, kValue, sizeof kValue - 1, 0) != 0)
    throw_errno("mark " + what + " as unified (xattr " + kMarkerXattr + ")");
}

std::optional<std::string> marked_tree_of(const std::string& path) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::canonical(path, ec);
  if (ec) return std::nullopt;
  for (;;) {
    char c;
    if (::lgetxattr(p.c_str(), kMarkerXattr, &c, 1) >= 0) return p.string();
    if (errno != ENODATA && errno != ENOTSUP && errno != ERANGE && errno != EACCES)
      throw_errno("read xattr " + std::string(kMarkerXattr) + " of " + p.string());
    if (errno == ERANGE) return p.string();
    if (!p.has_parent_path() || p.parent_path() == p) return std::nullopt;
    p = p.parent_path();
  }
}

}  // namespace vcrun::unify

namespace vcrun {

std::optional<std::string> unified_tree_of(const std::string& path) {
  return unify::marked_tree_of(path);
}

}  // namespace vcrun
