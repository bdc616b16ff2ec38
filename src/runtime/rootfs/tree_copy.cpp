// copy_tree: a recursive copy by *at() calls on directory fds, so no path is resolved
// twice and no symlink is followed.
#include "runtime/rootfs/tree_copy.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "base/fd.hpp"
#include "vcrun/error.hpp"

namespace vcrun::rootfs {

namespace {

void copy_data(int from, int to, off_t size, const std::string& what) {
  for (off_t done = 0; done < size;) {
    ssize_t n = ::sendfile(to, from, nullptr, static_cast<size_t>(size - done));
    if (n < 0) throw_errno("copy " + what);
    if (n == 0) break;  // shrank while copying
    done += n;
  }
}

void copy_entry(int from_dir, int to_dir, const char* name, const std::string& what) {
  struct stat st;
  if (::fstatat(from_dir, name, &st, AT_SYMLINK_NOFOLLOW) != 0) throw_errno("stat " + what);
  const mode_t perm = st.st_mode & 07777;
  if (S_ISDIR(st.st_mode)) {
    if (::mkdirat(to_dir, name, 0700) != 0) throw_errno("mkdir " + what);
    UniqueFd src(::openat(from_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    UniqueFd dst(::openat(to_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!src || !dst) throw_errno("open " + what);
    copy_tree(src.get(), dst.get());
  } else if (S_ISREG(st.st_mode)) {
    UniqueFd src(::openat(from_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!src) throw_errno("open " + what);
    UniqueFd dst(::openat(to_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                          0600));
    if (!dst) throw_errno("create " + what);
    copy_data(src.get(), dst.get(), st.st_size, what);
  } else if (S_ISLNK(st.st_mode)) {
    std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
    ssize_t n = ::readlinkat(from_dir, name, target.data(), target.size());
    if (n < 0) throw_errno("readlink " + what);
    target.resize(static_cast<size_t>(n));
    if (::symlinkat(target.c_str(), to_dir, name) != 0) throw_errno("symlink " + what);
  } else {  // fifo, socket, character or block device
    if (::mknodat(to_dir, name, st.st_mode & S_IFMT, st.st_rdev) != 0)
      throw_errno("mknod " + what);
  }
  // Owner before mode: chown clears setuid/setgid.
  if (::fchownat(to_dir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0)
    throw_errno("chown " + what);
  if (!S_ISLNK(st.st_mode) && ::fchmodat(to_dir, name, perm, 0) != 0)
    throw_errno("chmod " + what);
}

}  // namespace

void copy_tree(int from, int to) {
  int fd = ::openat(from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_errno("open directory to copy");
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    ::close(fd);
    throw_errno("open directory to copy");
  }
  try {
    while (const dirent* e = ::readdir(dir)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      copy_entry(::dirfd(dir), to, e->d_name, name);
    }
  } catch (...) {
    ::closedir(dir);
    throw;
  }
  ::closedir(dir);
}

}  // namespace vcrun::rootfs
