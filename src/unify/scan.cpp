// The tree walk: openat relative to each parent's fd with O_NOFOLLOW, never crossing st_dev.
#include "unify/scan.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <utility>

#include "base/fs_util.hpp"
#include "base/openat2.hpp"
#include "unify/index_file.hpp"
#include "unify/tree_io.hpp"
#include "vcrun/error.hpp"

namespace vcrun::unify {

namespace {

struct Walker {
  const std::vector<Tree>& trees;
  bool dry_run;
  std::atomic<uint64_t>& seen;
  ScanResult out;
  std::set<std::pair<dev_t, ino_t>> visited;

  // Reads the names of the directory open as `fd` (which it consumes through fdopendir).
  std::vector<std::pair<std::string, unsigned char>> names(int fd, const std::string& what) {
    int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) throw_errno("dup fd of " + what);
    DIR* d = ::fdopendir(copy);
    if (!d) {
      ::close(copy);
      throw_errno("read directory " + what);
    }
    std::vector<std::pair<std::string, unsigned char>> out;
    errno = 0;
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") out.emplace_back(std::move(n), e->d_type);
      errno = 0;
    }
    int err = errno;
    ::closedir(d);
    if (err) throw_errno("read directory " + what, err);
    return out;
  }

  void walk(uint32_t tree, int fd, const std::string& rel) {
    const Tree& t = trees[tree];
    std::string what = rel.empty() ? t.path : t.path + "/" + rel;
    auto dir_index = static_cast<uint32_t>(out.dirs.size());
    out.dirs.push_back({tree, rel});
    for (auto& [name, type] : names(fd, what)) {
      struct stat st;
      if (::fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;  // removed meanwhile
        throw_errno("stat " + what + "/" + name);
      }
      if (S_ISDIR(st.st_mode)) {
        if (st.st_dev != t.dev) continue;  // a mount point: another file system
        if (!visited.insert({st.st_dev, st.st_ino}).second) continue;
        UniqueFd sub(::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!sub) {
          // Replaced by a symlink or removed since the stat: not ours to follow.
          if (errno == ENOENT || errno == ELOOP || errno == ENOTDIR) continue;
          throw_errno("open " + what + "/" + name);
        }
        struct stat again;
        if (::fstat(sub.get(), &again) != 0) throw_errno("stat " + what + "/" + name);
        if (again.st_dev != t.dev) continue;
        walk(tree, sub.get(), rel.empty() ? name : rel + "/" + name);
        continue;
      }
      if (!S_ISREG(st.st_mode)) continue;
      if (name == kTempName) {
        if (!dry_run) {
          if (::unlinkat(fd, name.c_str(), 0) != 0 && errno != ENOENT)
            throw_errno("remove leftover " + what + "/" + name);
          spdlog::debug("removed leftover {}/{}", what, name);
        }
        ++out.temporaries_removed;
        continue;
      }
      FileEntry f;
      f.dir = dir_index;
      f.name = std::move(name);
      f.dev = st.st_dev;
      f.ino = st.st_ino;
      f.size = static_cast<uint64_t>(st.st_size);
      f.blocks = static_cast<uint64_t>(st.st_blocks);
      f.nlink = st.st_nlink;
      f.ctime_ns = ns(st.st_ctim);
      f.mtime_ns = ns(st.st_mtim);
      out.files.push_back(std::move(f));
      seen.fetch_add(1, std::memory_order_relaxed);
    }
  }
};

}  // namespace

std::vector<Tree> open_trees(const std::vector<std::string>& dirs, const std::string& index_dir) {
  std::vector<Tree> trees;
  for (const auto& d : dirs) {
    Tree t;
    t.path = d;
    // A relative DIR resolves from the working directory, itself already resolved.
    t.fd = openat2_fd(AT_FDCWD, d.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW,
                      RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
    // A symlink as the last component fails O_DIRECTORY | O_NOFOLLOW with ENOTDIR: told
    // apart from a file by looking at it (O_PATH opens the link itself).
    bool link = !t.fd && errno == ELOOP;
    if (!t.fd && errno == ENOTDIR) {
      UniqueFd p = openat2_fd(AT_FDCWD, d.c_str(), O_PATH | O_NOFOLLOW, RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
      struct stat st;
      link = p && ::fstat(p.get(), &st) == 0 && S_ISLNK(st.st_mode);
      errno = ENOTDIR;
    }
    if (link) throw Error("unify: DIR " + d + " is or passes through a symlink: give the directory's real path", ELOOP);
    if (!t.fd) throw_errno("unify: DIR " + d);
    t.real = fd_target(t.fd.get(), "unify: DIR " + d);
    if (t.real == "/") throw Error("unify: DIR " + d + " is the root directory: give root filesystem trees", EINVAL);
    // The index and its tree list would be linked, and seen by the tree's containers.
    // A tree below the index's directory is fine: it holds neither.
    if (!index_dir.empty() && path_within(index_dir, t.real))
      throw Error("unify: DIR " + d + " is or holds the index's directory " + index_dir, EINVAL);
    struct stat st;
    if (::fstat(t.fd.get(), &st) != 0) throw_errno("stat " + d);
    t.dev = st.st_dev;
    trees.push_back(std::move(t));
  }
  return trees;
}

ScanResult scan_trees(const std::vector<Tree>& trees, bool dry_run, std::atomic<uint64_t>& seen) {
  Walker w{trees, dry_run, seen, {}, {}};
  for (uint32_t i = 0; i < trees.size(); ++i) {
    struct stat st;
    if (::fstat(trees[i].fd.get(), &st) != 0) throw_errno("stat " + trees[i].path);
    if (!w.visited.insert({st.st_dev, st.st_ino}).second) continue;
    w.walk(i, trees[i].fd.get(), "");
  }
  return std::move(w.out);
}

std::string rel_path(const ScanResult& s, const FileEntry& f) {
  const auto& d = s.dirs[f.dir];
  return d.rel.empty() ? f.name : d.rel + "/" + f.name;
}

std::string display_path(const std::vector<Tree>& trees, const ScanResult& s, const FileEntry& f) {
  return trees[s.dirs[f.dir].tree].path + "/" + rel_path(s, f);
}

}  // namespace vcrun::unify
