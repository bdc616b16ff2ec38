// The unified-tree list beside the index, and the runtime's "does this path hold a unified
// tree" query that reads it.
#include "unify/tree_list.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "base/fs_util.hpp"
#include "unify/marker.hpp"
#include "vcrun/error.hpp"
#include "vcrun/unify.hpp"

namespace vcrun::unify {

namespace {

// Whether the canonical `tree` still carries the mark (ERANGE: a longer value, still set).
bool still_marked(const std::string& tree) {
  char c;
  return ::lgetxattr(tree.c_str(), kMarkerXattr, &c, 1) >= 0 || errno == ERANGE;
}

// Whether `tree` is, or lies below, the directory `dir` (stat'ed as `d`): by path, or by
// inode along the tree's parent chain, which also catches `dir` reached by another path
// (a bind mount of a parent elsewhere: the same directory inode).
bool holds(const std::string& dir, const struct stat& d, const std::string& tree) {
  if (path_within(tree, dir)) return true;
  for (std::filesystem::path p = tree;; p = p.parent_path()) {
    struct stat st;
    if (::stat(p.c_str(), &st) == 0 && st.st_dev == d.st_dev && st.st_ino == d.st_ino) return true;
    if (!p.has_parent_path() || p.parent_path() == p) return false;
  }
}

}  // namespace

std::vector<std::string> decode_tree_list(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line.front() == '/') out.push_back(line);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string encode_tree_list(std::vector<std::string> trees) {
  std::sort(trees.begin(), trees.end());
  trees.erase(std::unique(trees.begin(), trees.end()), trees.end());
  std::string out;
  for (const auto& t : trees) out += t + "\n";
  return out;
}

void register_trees(const IndexFile& index, const std::vector<std::string>& trees) {
  std::string name = index.name() + kTreeListSuffix;
  std::string what = index.path() + kTreeListSuffix;
  for (const auto& t : trees)
    if (t.empty() || t.front() != '/' || t.find('\n') != std::string::npos)
      throw Error("unify: DIR " + t + ": its path cannot be listed in " + what, EINVAL);
  // The directory's lock serializes the read-modify-write of concurrent runs.
  if (::flock(index.dir_fd(), LOCK_EX) != 0) throw_errno("lock " + index.dir_path() + " for " + what);
  std::vector<std::string> all;
  for (auto& t : decode_tree_list(read_regular_at(index.dir_fd(), name, what).value_or("")))
    if (still_marked(t)) all.push_back(std::move(t));
  all.insert(all.end(), trees.begin(), trees.end());
  replace_at(index.dir_fd(), name, encode_tree_list(std::move(all)), what);
  ::flock(index.dir_fd(), LOCK_UN);
}

std::vector<std::string> listed_trees_within(const std::string& index_path, const std::string& path) {
  namespace fs = std::filesystem;
  fs::path p(index_path);
  std::string parent = p.parent_path().empty() ? "." : p.parent_path().string();
  UniqueFd dfd(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC));
  if (!dfd) {
    if (errno == ENOENT) return {};
    throw_errno("open " + parent + " (the unify index's directory)");
  }
  std::string what = index_path + kTreeListSuffix;
  auto text = read_regular_at(dfd.get(), p.filename().string() + kTreeListSuffix, what);
  std::vector<std::string> out;
  if (!text) return out;
  std::error_code ec;
  const std::string dir = fs::canonical(path, ec).string();
  struct stat d;
  if (ec || ::stat(dir.c_str(), &d) != 0) return out;  // nothing there to bind or use as a root
  for (const auto& t : decode_tree_list(*text))
    if (still_marked(t) && holds(dir, d, t)) out.push_back(t);
  return out;
}

}  // namespace vcrun::unify

namespace vcrun {

std::string unify_index_path() {
  const char* env = std::getenv("VCRUN_UNIFY_INDEX");
  if (!env || !*env) return kDefaultUnifyIndex;
  if (*env != '/') throw Error(std::string("VCRUN_UNIFY_INDEX: \"") + env + "\" is not an absolute path", EINVAL);
  return env;
}

std::optional<std::string> unified_tree_within(const std::string& path) {
  auto trees = unify::listed_trees_within(unify_index_path(), path);
  if (trees.empty()) return std::nullopt;
  return trees.front();
}

}  // namespace vcrun
