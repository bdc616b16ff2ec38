// Joining a new, anonymous session keyring.
#include "runtime/security/keyring.hpp"

#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "vcrun/error.hpp"

namespace vcrun {

void join_new_session_keyring() {
  if (::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr) >= 0 || errno == ENOSYS)
    return;
  int err = errno;
  throw Error(std::string("session keyring: cannot create a new one: ") + std::strerror(err) +
                  " (CreateOptions.new_keyring=false keeps the caller's)",
              err);
}

}  // namespace vcrun
