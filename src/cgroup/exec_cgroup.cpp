// exec --cgroup: parsing runc's argument form and opening the sub-cgroup safely.
#include "cgroup/exec_cgroup.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <set>

#include "base/openat2.hpp"
#include "vcrun/error.hpp"

namespace vcrun {

std::string exec_cgroup_path(const std::vector<std::string>& args) {
  std::string path;
  std::set<std::string> controllers;
  for (const auto& arg : args) {
    auto colon = arg.find(':');
    std::string sub = colon == std::string::npos ? arg : arg.substr(colon + 1);
    if (sub.find(':') != std::string::npos)
      throw SpecError("ExecOptions.cgroup", "\"" + arg + "\" is not [CONTROLLER:]PATH");
    if (colon == std::string::npos) {
      if (args.size() != 1)
        throw SpecError("ExecOptions.cgroup", "\"" + arg + "\" needs a CONTROLLER: prefix when ExecOptions.cgroup is repeated");
    } else {
      std::string list = arg.substr(0, colon);
      for (size_t start = 0;;) {
        auto comma = list.find(',', start);
        std::string c = list.substr(start, comma - start);
        if (c.empty()) throw SpecError("ExecOptions.cgroup", "\"" + arg + "\" has an empty controller name");
        if (!controllers.insert(c).second)
          throw SpecError("ExecOptions.cgroup", "controller \"" + c + "\" is given twice");
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
    if (sub.empty()) throw SpecError("ExecOptions.cgroup", "\"" + arg + "\" names no path");
    // cgroup v2 has one hierarchy: a process cannot be in two cgroups.
    if (!path.empty() && sub != path)
      throw SpecError("ExecOptions.cgroup", "\"" + sub + "\" and \"" + path +
                                      "\": cgroup v2 runs a process in one cgroup only");
    path = sub;
  }
  return path;
}

UniqueFd open_exec_cgroup(const std::string& container_cgroup, const std::string& sub) {
  if (container_cgroup.empty())
    throw SpecError("ExecOptions.cgroup", "the container has no cgroup of its own");
  UniqueFd base(::open(container_cgroup.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!base) throw_errno("open " + container_cgroup);
  auto first = sub.find_first_not_of('/');
  std::string rel = first == std::string::npos ? std::string(".") : sub.substr(first);
  UniqueFd fd = openat2_fd(base.get(), rel.c_str(), O_PATH | O_DIRECTORY,
                           RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV);
  if (!fd) {
    int err = errno;
    std::string why = err == EXDEV || err == ELOOP ? "leaves the container's cgroup"
                      : err == ENOENT          ? "no such cgroup below the container's"
                                               : std::strerror(err);
    throw SpecError("ExecOptions.cgroup", "\"" + sub + "\": " + why, err);
  }
  return fd;
}

}  // namespace vcrun
