// Absolute, lexically normal paths for --bundle and --rootfs.
#pragma once

#include <filesystem>
#include <string>

namespace vcrun::cli {

inline std::string absolute_bundle(const std::string& dir) {
  auto p = std::filesystem::absolute(dir.empty() ? "." : dir).lexically_normal().string();
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

}  // namespace vcrun::cli
