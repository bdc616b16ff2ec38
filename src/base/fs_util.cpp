// File helpers: reads, knob writes, atomic replacement, mkdir -p.
#include "base/fs_util.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>

#include "base/fd.hpp"
#include "vcrun/error.hpp"

namespace vcrun {

static std::string read_all(int fd, const std::string& path) {
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read " + path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open " + path);
  return read_all(fd.get(), path);
}

std::string read_regular_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!fd) throw_errno("open " + path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_errno("stat " + path);
  if (!S_ISREG(st.st_mode)) throw Error("open " + path + ": not a regular file", EINVAL);
  return read_all(fd.get(), path);
}

std::optional<std::string> read_file_if_exists(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd && errno == ENOENT) return std::nullopt;
  if (!fd) throw_errno("open " + path);
  return read_all(fd.get(), path);
}

std::optional<std::string> try_read_file(const std::string& path) {
  try {
    return read_file(path);
  } catch (const Error&) {
    return std::nullopt;
  }
}

static void write_all(int fd, const std::string& data, const std::string& path) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("write " + path);
    }
    off += static_cast<size_t>(n);
  }
}

void write_existing(const std::string& path, const std::string& data) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) throw_errno("open " + path);
  write_all(fd.get(), data, path);
}

void write_file_atomic(const std::string& path, const std::string& data, unsigned mode) {
  // The directory is opened once and the temp file made and renamed through it. The temp
  // name is fresh and made with O_EXCL|O_NOFOLLOW: a writer of the directory (a --pid-file
  // directory) cannot have vcrun write into a file of theirs, a second name of another
  // file or a FIFO by creating the name first; rename replaces a symlink, not its target.
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dfd) throw_errno("open " + dir);
  std::string tmp;
  UniqueFd fd;
  for (int attempt = 0; !fd; ++attempt) {
    uint64_t salt = 0;
    if (::getrandom(&salt, sizeof salt, 0) != static_cast<ssize_t>(sizeof salt)) salt = ::getpid() + attempt;
    char suffix[32];
    std::snprintf(suffix, sizeof suffix, ".tmp.%d.%016llx", ::getpid(), static_cast<unsigned long long>(salt));
    tmp = name + suffix;
    fd.reset(::openat(dfd.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode));
    if (!fd && (errno != EEXIST || attempt == 9)) throw_errno("create " + dir + "/" + tmp);
  }
  try {
    write_all(fd.get(), data, dir + "/" + tmp);
  } catch (...) {
    ::unlinkat(dfd.get(), tmp.c_str(), 0);
    throw;
  }
  fd.reset();
  if (::renameat(dfd.get(), tmp.c_str(), dfd.get(), name.c_str()) != 0) {
    int err = errno;
    ::unlinkat(dfd.get(), tmp.c_str(), 0);
    throw_errno("rename " + dir + "/" + tmp, err);
  }
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

void make_dirs(const std::string& path, unsigned mode) {
  if (path.empty()) return;
  for (size_t pos = 1;; ++pos) {
    pos = path.find('/', pos);
    std::string part = path.substr(0, pos);
    if (::mkdir(part.c_str(), mode) != 0 && errno != EEXIST) throw_errno("mkdir " + part);
    if (pos == std::string::npos) break;
  }
}

bool path_within(const std::string& inner, const std::string& outer) {
  if (inner == outer) return true;
  if (outer.empty()) return false;
  size_t n = outer.back() == '/' ? outer.size() - 1 : outer.size();  // "/" -> "", "/a/" -> "/a"
  return inner.size() > n && inner[n] == '/' && inner.compare(0, n, outer, 0, n) == 0;
}

}  // namespace vcrun
