#include "runtime/preserved_fds.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <string>

#include "vcrun/error.hpp"

namespace vcrun {

namespace {
constexpr unsigned kFirst = 3;
}  // namespace

void check_preserved_fds(unsigned count) {
  if (count > static_cast<unsigned>(INT_MAX) - kFirst)
    throw SpecError("--preserve-fds", std::to_string(count) + " is out of range");
  for (unsigned fd = kFirst; fd < kFirst + count; ++fd) {
    int flags = ::fcntl(static_cast<int>(fd), F_GETFD);
    if (flags < 0)
      throw SpecError("--preserve-fds", "fd " + std::to_string(fd) + " is not open (" +
                                            std::to_string(count) + " fds from 3 were asked for)");
    if (flags & FD_CLOEXEC)
      throw SpecError("--preserve-fds",
                      "fd " + std::to_string(fd) + " is close-on-exec: not one the caller passed");
  }
}

void close_unpreserved_fds_on_exec(unsigned count) {
  if (::syscall(SYS_close_range, kFirst + count, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
    throw_errno("close_range");
}

void close_preserved_fds(unsigned count) {
  if (count > 0) ::syscall(SYS_close_range, kFirst, kFirst + count - 1, 0U);
}

}  // namespace vcrun
