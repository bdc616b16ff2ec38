// --preserve-fds: checking the count and keeping exactly those descriptors open.
#include "runtime/process/preserved_fds.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <string>
#include <vector>

#include "vcrun/error.hpp"

namespace vcrun {

namespace {
constexpr unsigned kFirst = 3;
}  // namespace

void check_preserved_fds(unsigned count) {
  if (count > static_cast<unsigned>(INT_MAX) - kFirst)
    throw SpecError("CreateOptions.preserve_fds", std::to_string(count) + " is out of range");
  for (unsigned fd = kFirst; fd < kFirst + count; ++fd) {
    int flags = ::fcntl(static_cast<int>(fd), F_GETFD);
    if (flags < 0)
      throw SpecError("CreateOptions.preserve_fds", "fd " + std::to_string(fd) + " is not open (" +
                                            std::to_string(count) + " fds from 3 were asked for)");
    if (flags & FD_CLOEXEC)
      throw SpecError("CreateOptions.preserve_fds",
                      "fd " + std::to_string(fd) + " is close-on-exec: not one the caller passed");
  }
}

void close_inherited_fds(unsigned count) {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) throw_errno("open /proc/self/fd");
  std::vector<int> inherited;
  while (const dirent* e = ::readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(e->d_name, &end, 10);
    if (*end || end == e->d_name || fd < static_cast<long>(kFirst + count) || fd == ::dirfd(dir))
      continue;
    int flags = ::fcntl(static_cast<int>(fd), F_GETFD);
    if (flags >= 0 && !(flags & FD_CLOEXEC)) inherited.push_back(static_cast<int>(fd));
  }
  ::closedir(dir);
  for (int fd : inherited) ::close(fd);
}

void close_unpreserved_fds_on_exec(unsigned count) {
  if (::syscall(SYS_close_range, kFirst + count, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
    throw_errno("close_range");
}

void close_preserved_fds(unsigned count) {
  // close(2), not close_range: this runs under the container's seccomp filter.
  for (unsigned fd = kFirst; fd < kFirst + count; ++fd) ::close(static_cast<int>(fd));
}

}  // namespace vcrun
