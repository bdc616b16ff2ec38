// What a container can observe of a file besides its content and times: unify links two
// files only when this is equal.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace vcrun::unify {

struct Meta {
  uint32_t mode = 0;  // type and permission bits, setuid/setgid/sticky included
  uint32_t uid = 0, gid = 0;
  uint32_t flags = 0;  // FS_IOC_GETFLAGS (immutable, append-only, ...); 0 where unsupported
  // Every xattr, sorted by name: security.capability, system.posix_acl_*, user.*, ...
  std::vector<std::pair<std::string, std::string>> xattrs;
  bool operator==(const Meta&) const = default;
};

// The metadata of the open file `fd` whose fstat is `st`. Throws Error naming `what`.
Meta read_meta(int fd, const struct stat& st, const std::string& what);

}  // namespace vcrun::unify
