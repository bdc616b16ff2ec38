// The hooks cgroup: a plain directory next to vcrun's parent of containers.
#include "cgroup/hooks_cgroup.hpp"

#include <errno.h>
#include <sys/stat.h>

#include "cgroup/hierarchy.hpp"
#include "vcrun/error.hpp"

namespace vcrun::cgroup {

std::string hooks_dir(const std::string& name) { return default_parent_dir() + "-hooks/" + name; }

void make_hooks_cgroup(const std::string& path) {
  std::string parent = path.substr(0, path.rfind('/'));
  if (::mkdir(parent.c_str(), 0755) != 0 && errno != EEXIST) throw_errno("mkdir " + parent);
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) throw_errno("mkdir " + path);
}

}  // namespace vcrun::cgroup
