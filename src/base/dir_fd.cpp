// Directory chains walked and made through descriptors (dir_fd.hpp).
#include "base/dir_fd.hpp"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "vcrun/error.hpp"

namespace vcrun {

namespace {

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
// Directories only crossed: O_PATH needs search permission alone (a container root in a
// user namespace crosses <bundle>/vcrun-upper, mode 0711, without reading it).
constexpr int kCrossFlags = O_PATH | O_DIRECTORY | O_CLOEXEC;

// Only root can add, remove or replace names in the directory `fd`.
bool root_only(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 && st.st_uid == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

bool is_symlink_at(int dir, const std::string& name) {
  struct stat st {};
  return ::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

// The input named `what` (a spec field or an option) could not be walked: "<what>: <reason>".
[[noreturn]] void fail(const std::string& what, const std::string& reason, int err) {
  throw SpecError(what, reason, err);
}
[[noreturn]] void fail_errno(const std::string& what, const std::string& step) {
  int err = errno;
  fail(what, step + ": " + std::strerror(err), err);
}

[[noreturn]] void refuse_link(const std::string& what, const std::string& shown, bool last) {
  fail(what, shown +
                  (last ? " is a symbolic link: refusing it (name the directory itself)"
                        : " is a symbolic link in a directory others than root can change: refusing to follow it"),
       ELOOP);
}

}  // namespace

DirFd make_dir_at(int parent, const std::string& name, unsigned mode, const std::string& what,
                  const std::string& shown) {
  DirFd d;
  if (::mkdirat(parent, name.c_str(), mode) == 0)
    d.made = true;
  else if (errno != EEXIST)
    fail_errno(what, "mkdir " + shown);
  d.fd.reset(::openat(parent, name.c_str(), kDirFlags | O_NOFOLLOW));
  if (!d.fd) {
    if (errno == ELOOP || (errno == ENOTDIR && is_symlink_at(parent, name))) refuse_link(what, shown, true);
    fail_errno(what, "open " + shown);
  }
  return d;
}

DirFd open_dir_chain(const std::string& path, unsigned mode, bool create, const std::string& what) {
  if (path.empty() || path[0] != '/') fail(what, path + ": not an absolute path", EINVAL);
  std::vector<std::string> parts;
  for (size_t pos = 0; pos < path.size();) {
    size_t end = path.find('/', pos);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(pos, end - pos);
    if (!part.empty() && part != ".") parts.push_back(part);
    pos = end + 1;
  }
  DirFd d;
  d.fd.reset(::open("/", parts.empty() ? kDirFlags : kCrossFlags));
  if (!d.fd) fail_errno(what, "open /");
  std::string shown;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& name = parts[i];
    const bool last = i + 1 == parts.size();
    shown += "/" + name;
    d.made = false;
    const int flags = last ? kDirFlags : kCrossFlags;
    UniqueFd next(::openat(d.fd.get(), name.c_str(), flags | O_NOFOLLOW));
    if (!next && errno == ENOENT && create) {
      DirFd made = make_dir_at(d.fd.get(), name, mode, what, shown);
      next = std::move(made.fd);
      d.made = made.made;
    } else if (!next && (errno == ELOOP || errno == ENOTDIR) && is_symlink_at(d.fd.get(), name)) {
      // The link is followed from a descriptor of the directory holding it, which nobody
      // but root can change: what it names is root's choice, as the caller's path is.
      if (last || !root_only(d.fd.get())) refuse_link(what, shown, last);
      next.reset(::openat(d.fd.get(), name.c_str(), flags));
    }
    if (!next) fail_errno(what, "open " + shown);
    d.fd = std::move(next);
  }
  return d;
}

std::string proc_fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

std::string fd_target(int fd, const std::string& what) {
  char buf[PATH_MAX];
  ssize_t n = ::readlink(proc_fd_path(fd).c_str(), buf, sizeof buf);
  if (n < 0) throw_errno("resolve " + what);
  if (static_cast<size_t>(n) >= sizeof buf) throw Error("resolve " + what + ": path too long", ENAMETOOLONG);
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace vcrun
