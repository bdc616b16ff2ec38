// Host directories opened and made through descriptors, so that nothing is checked by
// path and then used by path: a writer of a parent directory cannot swap in a symlink.
#pragma once

#include <string>

#include "base/fd.hpp"

namespace vcrun {

// An O_DIRECTORY|O_CLOEXEC descriptor of a directory and whether this call made it.
struct DirFd {
  UniqueFd fd;
  bool made = false;
};

// Opens the absolute directory `path` one component at a time, each with O_NOFOLLOW; with
// `create` a missing component is made (mkdirat, `mode`) and then opened the same way. A
// component that is a symbolic link is followed only when the directory holding it can be
// changed by root alone (owned by uid 0, no group or other write): a link an administrator
// made (/var/run -> /run). Anywhere else, and always for the last component, a link is
// refused. Errors are SpecErrors naming `what` (a spec field or an option), one line:
// "<what>: <path>: <reason>". `made`: the last component.
DirFd open_dir_chain(const std::string& path, unsigned mode, bool create, const std::string& what);

// mkdirat(parent, name, mode) if missing, then openat(O_NOFOLLOW|O_DIRECTORY): a name that is
// a symlink or not a directory is refused. `shown` is the path for the error line.
DirFd make_dir_at(int parent, const std::string& name, unsigned mode, const std::string& what,
                  const std::string& shown);

// "/proc/self/fd/N": a path that names what `fd` holds, whatever happens to its names since.
std::string proc_fd_path(int fd);

// The path the kernel gives for what `fd` holds (readlink of proc_fd_path); throws
// "resolve <what>: ..." when it cannot (no /proc, a path over PATH_MAX).
std::string fd_target(int fd, const std::string& what);

}  // namespace vcrun
