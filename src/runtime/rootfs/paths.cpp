// Safe path resolution inside a container root (openat2 RESOLVE_IN_ROOT + a creating walker).
#include "runtime/rootfs/paths.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <vector>

#include "base/dir_fd.hpp"
#include "base/fs_util.hpp"
#include "base/openat2.hpp"
#include "vcrun/error.hpp"

namespace vcrun::paths {

namespace {

// Same limit as the kernel's MAXSYMLINKS: a loop of links fails with ELOOP, not forever.
constexpr int kMaxSymlinks = 40;

std::deque<std::string> split(const std::string& path) {
  std::deque<std::string> parts;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string::npos) next = path.size();
    std::string part = path.substr(pos, next - pos);
    if (!part.empty() && part != ".") parts.push_back(std::move(part));
    pos = next + 1;
  }
  return parts;
}

UniqueFd reopen_dir(int dir_fd, const std::string& what) {
  UniqueFd fd(::openat(dir_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw_errno("open " + what);
  return fd;
}

std::string read_link_at(int dir_fd, const std::string& name, const std::string& what) {
  std::vector<char> buf(256);
  for (;;) {
    ssize_t n = ::readlinkat(dir_fd, name.c_str(), buf.data(), buf.size());
    if (n < 0) throw_errno("readlink " + what);
    if (static_cast<size_t>(n) < buf.size()) return std::string(buf.data(), static_cast<size_t>(n));
    buf.resize(buf.size() * 2);
  }
}

enum class Leaf { directory, file };

// Walks `path` one component at a time from root_fd, creating what is missing. Every step
// is an *at() call relative to an fd we hold, with O_NOFOLLOW; symlinks are read and their
// text spliced into the remaining path, an absolute one restarting at root_fd. ".." pops
// the stack of directories actually entered and never pops root_fd: the same semantics as
// RESOLVE_IN_ROOT, which cannot create anything itself. `follow`: false refuses any
// symlink with ELOOP instead (RESOLVE_NO_SYMLINKS).
UniqueFd walk_creating(int root_fd, const std::string& path, Leaf leaf, mode_t dir_mode,
                       mode_t file_mode, bool follow = true) {
  std::vector<UniqueFd> stack;
  stack.push_back(reopen_dir(root_fd, "root of " + path));
  std::deque<std::string> todo = split(path);
  int links = 0;

  while (!todo.empty()) {
    std::string name = std::move(todo.front());
    todo.pop_front();
    if (name == "..") {
      if (stack.size() > 1) stack.pop_back();
      continue;
    }
    const bool last = todo.empty();
    const bool want_dir = !last || leaf == Leaf::directory;
    int cur = stack.back().get();

    struct stat st {};
    if (::fstatat(cur, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT) throw_errno("stat " + path + " (component \"" + name + "\")");
      if (want_dir) {
        if (::mkdirat(cur, name.c_str(), dir_mode) != 0 && errno != EEXIST)
          throw_errno("mkdir " + path + " (component \"" + name + "\")");
      } else {
        UniqueFd f(::openat(cur, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                            file_mode));
        if (!f && errno != EEXIST) throw_errno("create " + path);
      }
      // Re-examine what is there now: EEXIST above means something raced us, and it may be
      // a symlink that must be followed like any other.
      if (::fstatat(cur, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        throw_errno("stat " + path + " (component \"" + name + "\")");
    }

    if (S_ISLNK(st.st_mode)) {
      if (!follow) throw_errno("resolve " + path + " (component \"" + name + "\" is a symlink)", ELOOP);
      if (++links > kMaxSymlinks) throw_errno("resolve " + path, ELOOP);
      std::string target = read_link_at(cur, name, path);
      std::deque<std::string> parts = split(target);
      todo.insert(todo.begin(), parts.begin(), parts.end());
      if (!target.empty() && target[0] == '/') stack.resize(1);
      continue;
    }
    if (want_dir && !S_ISDIR(st.st_mode))
      throw_errno("resolve " + path + " (component \"" + name + "\")", ENOTDIR);

    UniqueFd next(::openat(cur, name.c_str(),
                           O_PATH | O_NOFOLLOW | O_CLOEXEC | (want_dir ? O_DIRECTORY : 0)));
    if (!next) throw_errno("open " + path + " (component \"" + name + "\")");
    stack.push_back(std::move(next));
  }
  return std::move(stack.back());
}

}  // namespace

namespace {

// openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS; an empty fd and errno on failure.
UniqueFd try_open_in_root(int root_fd, const std::string& path, int flags, mode_t mode) {
  return openat2_fd(root_fd, path.c_str(), static_cast<uint64_t>(flags), RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, mode);
}

}  // namespace

UniqueFd open_in_root_if_exists(int root_fd, const std::string& path, int flags, mode_t mode) {
  UniqueFd fd = try_open_in_root(root_fd, path, flags, mode);
  if (!fd && errno != ENOENT) throw_errno("open " + path + " in the container root");
  return fd;
}

UniqueFd open_in_root(int root_fd, const std::string& path, int flags, mode_t mode) {
  UniqueFd fd = open_in_root_if_exists(root_fd, path, flags, mode);
  if (!fd) throw_errno("open " + path + " in the container root", ENOENT);
  return fd;
}

// Both creators first try the kernel's own resolution, which is the same walk in one call:
// mount points mostly exist already. A missing component (or any error, which the walker
// then reports naming the component) takes the walker.
UniqueFd mkdirs_in_root(int root_fd, const std::string& path, mode_t mode) {
  if (UniqueFd fd = try_open_in_root(root_fd, path, O_PATH | O_DIRECTORY, 0)) return fd;
  return walk_creating(root_fd, path, Leaf::directory, mode, 0);
}

UniqueFd mkdirs_in_root_no_symlinks(int root_fd, const std::string& path, mode_t mode) {
  if (UniqueFd fd = openat2_fd(root_fd, path.c_str(), O_PATH | O_DIRECTORY,
                               RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS))
    return fd;
  if (errno == ELOOP) throw_errno("resolve " + path + " (a symlink on the way)", ELOOP);
  return walk_creating(root_fd, path, Leaf::directory, mode, 0, false);
}

UniqueFd create_file_in_root(int root_fd, const std::string& path, mode_t mode) {
  if (UniqueFd fd = try_open_in_root(root_fd, path, O_PATH, 0)) return fd;
  return walk_creating(root_fd, path, Leaf::file, 0755, mode);
}

std::string clean_path(const std::string& path) {
  std::vector<std::string> out;
  for (auto& part : split(path)) {
    if (part == "..") {
      if (!out.empty()) out.pop_back();
    } else {
      out.push_back(std::move(part));
    }
  }
  if (out.empty()) return "/";
  std::string result;
  for (const auto& part : out) result += "/" + part;
  return result;
}

std::string fd_path(int fd) {
  try {
    return fd_target(fd, "fd");
  } catch (const Error&) {
    return {};
  }
}

bool is_inside(const std::string& root, int fd) {
  std::string p = fd_path(fd);
  if (root.empty() || p.empty() || root[0] != '/' || p[0] != '/') return true;
  return path_within(p, root);
}

}  // namespace vcrun::paths
