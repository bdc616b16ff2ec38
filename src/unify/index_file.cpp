// The index's directory and the files unify reads and replaces in it.
#include "unify/index_file.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "vcrun/error.hpp"
#include "vcrun/unify.hpp"

namespace vcrun::unify {

std::optional<std::string> read_regular_at(int dir_fd, const std::string& name, const std::string& what) {
  UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;
    if (errno == ELOOP) throw Error(what + " is a symlink, not a regular file", ELOOP);
    throw_errno("open " + what);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) throw_errno("stat " + what);
  if (!S_ISREG(st.st_mode)) throw Error(what + " is not a regular file", EINVAL);
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read " + what);
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

void replace_at(int dir_fd, const std::string& name, const std::string& data, const std::string& what) {
  std::string tmp = name + ".tmp";
  {
    // O_NOFOLLOW: a symlink planted as the temporary name is not written through.
    UniqueFd fd(::openat(dir_fd, tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) throw_errno("create " + what + ".tmp");
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::write(fd.get(), data.data() + off, data.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw_errno("write " + what + ".tmp");
      off += static_cast<size_t>(n);
    }
    // Durable before it replaces the old one: a torn index after a power loss would only
    // cost a full rehash, but a torn tree list would forget a unified tree.
    if (::fsync(fd.get()) != 0) throw_errno("fsync " + what + ".tmp");
  }
  if (::renameat(dir_fd, tmp.c_str(), dir_fd, name.c_str()) != 0) throw_errno("rename " + what + ".tmp to " + what);
}

namespace {

// The option that names the index (a CLI names its flag).
constexpr const char* kField = "UnifyOptions.index_path";

[[noreturn]] void throw_field_errno(const std::string& path, const std::string& what) {
  int err = errno;
  throw SpecError(kField, path, what + ": " + std::strerror(err), err);
}

}  // namespace

IndexFile IndexFile::open(const std::string& path) {
  namespace fs = std::filesystem;
  IndexFile f;
  f.path_ = path;
  fs::path p(path);
  f.name_ = p.filename().string();
  if (f.name_.empty() || f.name_ == "." || f.name_ == "..")
    throw SpecError(kField, path, "names a directory, not a file", EISDIR);
  std::string dir = p.parent_path().empty() ? "." : p.parent_path().string();
  f.dir_.reset(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC));
  if (!f.dir_ && errno == ENOENT && path == kDefaultUnifyIndex) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) throw_field_errno(path, "mkdir " + dir);
    f.dir_.reset(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC));
  }
  if (!f.dir_) {
    if (errno == ENOENT) throw SpecError(kField, path, "directory " + dir + " does not exist", ENOENT);
    throw_field_errno(path, "open directory " + dir);
  }
  try {
    f.dir_path_ = fd_target(f.dir_.get(), "its directory");
  } catch (const Error& e) {
    throw SpecError(kField, path, e.what(), e.code());
  }
  return f;
}

Index IndexFile::load() const {
  std::optional<std::string> bytes;
  try {
    bytes = read_regular_at(dir_.get(), name_, path_);
  } catch (const Error& e) {
    throw SpecError(kField, e.what(), e.code());
  }
  if (!bytes) return {};
  try {
    return Index::decode(*bytes, path_);
  } catch (const Error& e) {
    spdlog::warn("{}; starting a new index", e.what());
    return {};
  }
}

void IndexFile::save(const Index& index) const {
  try {
    replace_at(dir_.get(), name_, index.encode(), path_);
  } catch (const Error& e) {
    throw SpecError(kField, e.what(), e.code());
  }
}

}  // namespace vcrun::unify
