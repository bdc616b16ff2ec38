// linux.cgroupsPath: the path has to name a cgroup directory vcrun may create, checked
// before anything exists (a bad path would otherwise leave the parents made for it).
#include <climits>
#include <set>
#include <string_view>

#include "runtime/spec/validate.hpp"
#include "vcrun/error.hpp"

namespace vcrun::spec_detail {

namespace {

// The prefixes of cgroup v2 interface files ("cgroup.procs", "memory.max", ...): a
// directory of such a name cannot be made, or shadows the file the path meant.
bool names_interface_file(std::string_view part) {
  static const std::set<std::string_view> prefixes = {
      "cgroup", "cpu", "cpuset", "io", "memory", "hugetlb", "pids", "rdma", "misc", "dmem", "irq"};
  auto dot = part.find('.');
  return dot != std::string_view::npos && prefixes.count(part.substr(0, dot));
}

}  // namespace

void validate_cgroups_path(const std::string& path) {
  const std::string field = "linux.cgroupsPath";
  if (path.empty()) return;
  if (path.size() >= PATH_MAX)
    throw SpecError(field, "is " + std::to_string(path.size()) + " bytes long, more than PATH_MAX (" +
                               std::to_string(PATH_MAX - 1) + ")");
  if (path.find('\n') != std::string::npos || path.find('\0') != std::string::npos)
    throw SpecError(field, "must not contain a newline or NUL byte");
  std::string_view rest(path);
  if (rest.front() == '/') rest.remove_prefix(1);
  if (rest.empty()) throw SpecError(field, "must name a cgroup below the hierarchy root");
  for (size_t n = 1;; ++n) {
    auto slash = rest.find('/');
    std::string_view part = rest.substr(0, slash);
    if (part.empty())
      throw SpecError(field, "component " + std::to_string(n) + " is empty (\"//\" or a trailing \"/\")");
    if (part == "..") throw SpecError(field, "must not contain \"..\"");
    if (part == ".") throw SpecError(field, "must not contain \".\" components");
    if (part.size() > NAME_MAX)
      throw SpecError(field, "component " + std::to_string(n) + " is " + std::to_string(part.size()) +
                                 " bytes long, more than NAME_MAX (" + std::to_string(NAME_MAX) + ")");
    if (names_interface_file(part))
      throw SpecError(field, "component \"" + std::string(part) +
                                 "\" is the name of a cgroup interface file, not of a cgroup");
    if (slash == std::string_view::npos) return;
    rest.remove_prefix(slash + 1);
  }
}

}  // namespace vcrun::spec_detail
