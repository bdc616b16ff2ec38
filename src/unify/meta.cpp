// Reading a file's observable metadata (mode, owner, inode flags, all xattrs).
#include "unify/meta.hpp"

#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/xattr.h>

#include <algorithm>
#include <cerrno>

#include "vcrun/error.hpp"

namespace vcrun::unify {

namespace {

// A buffer filled by a size-probing call (flistxattr, fgetxattr); retried when the value
// grew between the probe and the read.
template <typename Call>
std::string sized(Call call, const std::string& what) {
  for (;;) {
    ssize_t n = call(nullptr, 0);
    if (n < 0) throw_errno(what);
    std::string buf(static_cast<size_t>(n), '\0');
    if (n == 0) return buf;
    ssize_t m = call(buf.data(), buf.size());
    if (m >= 0) {
      buf.resize(static_cast<size_t>(m));
      return buf;
    }
    if (errno != ERANGE) throw_errno(what);
  }
}

}  // namespace

Meta read_meta(int fd, const struct stat& st, const std::string& what) {
  Meta m;
  m.mode = st.st_mode;
  m.uid = st.st_uid;
  m.gid = st.st_gid;
  int flags = 0;
  if (::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) m.flags = static_cast<uint32_t>(flags);
  std::string names;
  try {
    names = sized([fd](char* b, size_t n) { return ::flistxattr(fd, b, n); }, "list xattrs of " + what);
  } catch (const Error& e) {
    if (e.code() != ENOTSUP) throw;
  }
  for (size_t at = 0; at < names.size();) {
    std::string name(names.c_str() + at);
    at += name.size() + 1;
    if (name.empty()) continue;
    std::string value = sized(
        [fd, &name](char* b, size_t n) { return ::fgetxattr(fd, name.c_str(), b, n); },
        "read xattr " + name + " of " + what);
    m.xattrs.emplace_back(std::move(name), std::move(value));
  }
  std::sort(m.xattrs.begin(), m.xattrs.end());
  return m;
}

}  // namespace vcrun::unify
