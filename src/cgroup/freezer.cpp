// cgroup.freeze writes and waiting for cgroup.events "frozen" to follow.
#include "cgroup/freezer.hpp"

#include <poll.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include "base/fd.hpp"
#include "base/fs_util.hpp"
#include "cgroup/flat_keyed.hpp"
#include "vcrun/error.hpp"

namespace vcrun::cgroup {

bool is_frozen(const std::string& path) {
  return flat_key(read_file(path + "/cgroup.events"), "frozen") == "1";  // "populated 1\nfrozen 0\n"
}

void set_frozen(const std::string& path, bool frozen, std::chrono::milliseconds timeout) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw_errno("cgroup " + path);
  if (::stat((path + "/cgroup.freeze").c_str(), &st) != 0)
    throw Error("cgroup " + path + " has no cgroup.freeze (the cgroup v2 freezer needs Linux 5.2)",
                EOPNOTSUPP);
  // cgroup.events signals changes with POLLPRI; a short poll timeout covers missed events.
  UniqueFd events(::open((path + "/cgroup.events").c_str(), O_RDONLY | O_CLOEXEC));
  if (!events) throw_errno("open " + path + "/cgroup.events");
  write_existing(path + "/cgroup.freeze", frozen ? "1" : "0");
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (is_frozen(path) != frozen) {
    if (std::chrono::steady_clock::now() > deadline)
      throw Error("cgroup " + path + ": not " + (frozen ? "frozen" : "thawed") + " after " +
                      std::to_string(timeout.count()) + " ms",
                  ETIMEDOUT);
    pollfd p{events.get(), POLLPRI, 0};
    ::poll(&p, 1, 20);
    char buf[256];
    ::pread(events.get(), buf, sizeof buf, 0);  // re-arms the notification
  }
}

}  // namespace vcrun::cgroup
