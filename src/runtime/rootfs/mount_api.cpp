// Thin, throwing wrappers over the new mount API (see mount_api.hpp for why this API).
#include "runtime/rootfs/mount_api.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "vcrun/error.hpp"

namespace vcrun::mountapi {

namespace {

// The kernel queues human-readable explanations ("e tmpfs: Bad value for 'size'") on the
// fs context fd; they are far more useful than a bare EINVAL.
std::string kernel_log(int fs_fd) {
  std::string out;
  char buf[512];
  for (int i = 0; i < 8; ++i) {
    ssize_t n = ::read(fs_fd, buf, sizeof buf - 1);
    if (n <= 0) break;
    std::string line(buf, static_cast<size_t>(n));
    while (!line.empty() && line.back() == '\n') line.pop_back();
    if (line.size() > 2 && line[1] == ' ') line = line.substr(2);
    if (!out.empty()) out += "; ";
    out += line;
  }
  return out;
}

[[noreturn]] void throw_fs(int fs_fd, const std::string& what) {
  int err = errno;
  std::string log = kernel_log(fs_fd);
  std::string msg = what + ": " + std::strerror(err);
  if (!log.empty()) msg += " (kernel: " + log + ")";
  throw Error(msg, err);
}

void config(int fs_fd, const std::string& word) {
  auto eq = word.find('=');
  int rc;
  if (eq == std::string::npos) {
    rc = ::fsconfig(fs_fd, FSCONFIG_SET_FLAG, word.c_str(), nullptr, 0);
  } else {
    std::string key = word.substr(0, eq), value = word.substr(eq + 1);
    rc = ::fsconfig(fs_fd, FSCONFIG_SET_STRING, key.c_str(), value.c_str(), 0);
  }
  if (rc != 0) throw_fs(fs_fd, "fsconfig " + word);
}

}  // namespace

UniqueFd new_filesystem(const std::string& type, const std::string& source,
                        const std::vector<std::string>& data,
                        const std::vector<std::string>& sb_flags, uint64_t attr) {
  UniqueFd fs(::fsopen(type.c_str(), FSOPEN_CLOEXEC));
  if (!fs) throw_errno("fsopen " + type);
  if (!source.empty() &&
      ::fsconfig(fs.get(), FSCONFIG_SET_STRING, "source", source.c_str(), 0) != 0)
    throw_fs(fs.get(), "fsconfig source=" + source);
  for (const auto& word : data) config(fs.get(), word);
  for (const auto& word : sb_flags) config(fs.get(), word);
  if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0)
    throw_fs(fs.get(), "create " + type + " filesystem");
  UniqueFd mnt(::fsmount(fs.get(), FSMOUNT_CLOEXEC, static_cast<unsigned>(attr)));
  if (!mnt) throw_fs(fs.get(), "fsmount " + type);
  return mnt;
}

UniqueFd clone_tree(int dir_fd, const std::string& path, bool recursive) {
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
  if (recursive) flags |= AT_RECURSIVE;
  if (path.empty()) flags |= AT_EMPTY_PATH;
  UniqueFd fd(::open_tree(dir_fd, path.c_str(), flags));
  if (!fd) throw_errno(path.empty() ? std::string("open_tree") : "open_tree " + path);
  return fd;
}

void set_attr(int fd, const mounts::AttrChange& change, bool recursive) {
  if (change.empty()) return;
  struct mount_attr a {};
  a.attr_set = change.set;
  a.attr_clr = change.clr;
  unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
  if (::mount_setattr(fd, "", flags, &a, sizeof a) != 0) throw_errno("mount_setattr");
}

void set_propagation(int fd, unsigned long propagation, bool recursive) {
  if (propagation == 0) return;
  struct mount_attr a {};
  a.propagation = propagation;
  unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
  if (::mount_setattr(fd, "", flags, &a, sizeof a) != 0) throw_errno("set mount propagation");
}

void attach(int mnt_fd, int target_fd) {
  if (::move_mount(mnt_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) !=
      0)
    throw_errno("move_mount");
}

}  // namespace vcrun::mountapi
