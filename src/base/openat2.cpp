// openat2(2) with a bounded EAGAIN/EINTR retry.
#include "base/openat2.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace vcrun {

UniqueFd openat2_fd(int dir_fd, const char* path, uint64_t flags, uint64_t resolve, unsigned mode) {
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = resolve;
  for (int attempt = 0;; ++attempt) {
    long fd = ::syscall(SYS_openat2, dir_fd, path, &how, sizeof how);
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    if ((errno != EAGAIN && errno != EINTR) || attempt >= kOpenat2Retries) return UniqueFd();
  }
}

}  // namespace vcrun
