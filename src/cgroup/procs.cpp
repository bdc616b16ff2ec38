// Walking a cgroup tree and reading its cgroup.procs files.
#include "cgroup/procs.hpp"

#include <dirent.h>

#include <cerrno>
#include <sstream>

#include "base/fs_util.hpp"
#include "vcrun/error.hpp"

namespace vcrun::cgroup {

namespace {

void add_tree(const std::string& dir, std::vector<std::string>& out) {
  out.push_back(dir);
  for (const auto& sub : child_cgroups(dir)) add_tree(sub, out);
}

}  // namespace

std::vector<std::string> child_cgroups(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    if (e->d_type == DT_DIR) out.push_back(dir + "/" + n);
  }
  ::closedir(d);
  return out;
}

std::vector<std::string> cgroup_tree(const std::string& dir) {
  std::vector<std::string> out;
  add_tree(dir, out);
  return out;
}

std::optional<std::vector<pid_t>> read_procs(const std::string& dir) {
  std::string procs;
  try {
    procs = read_file(dir + "/cgroup.procs");
  } catch (const Error& e) {
    if (e.code() == ENOENT) return std::nullopt;
    throw;
  }
  std::vector<pid_t> pids;
  std::istringstream in(procs);
  for (pid_t p; in >> p;) pids.push_back(p);
  return pids;
}

std::vector<pid_t> tree_pids(const std::string& dir) {
  std::vector<pid_t> pids;
  for (const auto& cg : cgroup_tree(dir))
    if (auto own = read_procs(cg)) pids.insert(pids.end(), own->begin(), own->end());
  return pids;
}

}  // namespace vcrun::cgroup
