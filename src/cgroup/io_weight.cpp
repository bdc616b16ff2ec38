// Which devices honour io.weight (iocost enabled, or BFQ), and the warning when none does.
#include "cgroup/io_weight.hpp"

#include <dirent.h>

#include <sstream>

#include <spdlog/spdlog.h>

#include "base/fs_util.hpp"
#include "cgroup/hierarchy.hpp"

namespace vcrun::cgroup {

namespace {

std::string first_word(const std::string& text) {
  std::istringstream in(text);
  std::string w;
  in >> w;
  return w;
}

}  // namespace

std::set<std::string> weighted_devices(const std::string& cgroup_root, const std::string& sys_block) {
  std::set<std::string> out;
  std::istringstream qos(try_read_file(cgroup_root + "/io.cost.qos").value_or(""));
  for (std::string line; std::getline(qos, line);)
    if (line.find(" enable=1") != std::string::npos) out.insert(first_word(line));
  if (DIR* d = ::opendir(sys_block.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name[0] == '.') continue;
      std::string dir = sys_block + "/" + name;
      if (try_read_file(dir + "/queue/scheduler").value_or("").find("[bfq]") == std::string::npos) continue;
      if (auto dev = first_word(try_read_file(dir + "/dev").value_or("")); !dev.empty()) out.insert(dev);
    }
    ::closedir(d);
  }
  return out;
}

std::string ignored_weight_warning(const std::vector<LimitWrite>& writes,
                                   const std::set<std::string>& honouring) {
  for (const auto& w : writes) {
    if (w.file != "io.weight") continue;
    std::string dev = first_word(w.value);
    const std::string why = " so the weight has no effect (README: \"IO weights\")";
    if (dev == "default" && honouring.empty())
      return w.field + ": no block device has the iocost controller enabled or BFQ as its "
                       "scheduler," + why;
    if (dev != "default" && honouring.count(dev) == 0)
      return w.field + ": device " + dev +
             " has neither the iocost controller enabled nor BFQ as its scheduler," + why;
  }
  return "";
}

void warn_if_weight_ignored(const std::vector<LimitWrite>& writes) {
  bool any = false;
  for (const auto& w : writes) any = any || w.file == "io.weight";
  if (!any) return;
  auto text = ignored_weight_warning(writes, weighted_devices(cgroup2_mount().mount_point));
  if (!text.empty()) spdlog::warn("{}", text);
}

}  // namespace vcrun::cgroup
