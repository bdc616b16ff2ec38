// Whether an io.weight can take effect: the kernel shares a device by weight only when the
// iocost controller is enabled on it (io.cost.qos "enable=1" in the root cgroup) or BFQ is
// its IO scheduler. Anywhere else the write succeeds and changes nothing.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "cgroup/limits.hpp"

namespace vcrun::cgroup {

// "MAJ:MIN" of every device that honours io.weight. Reads <cgroup_root>/io.cost.qos and
// <sys_block>/*/{dev,queue/scheduler}; what is missing counts as "does not honour".
std::set<std::string> weighted_devices(const std::string& cgroup_root,
                                       const std::string& sys_block = "/sys/block");

// The warning for io.weight writes among `writes` that no device would honour (one line
// naming the field), or "" when every weight can take effect. Pure.
std::string ignored_weight_warning(const std::vector<LimitWrite>& writes,
                                   const std::set<std::string>& honouring);

// Logs that warning for `writes`, if any; reads the system only when there is an
// io.weight write.
void warn_if_weight_ignored(const std::vector<LimitWrite>& writes);

}  // namespace vcrun::cgroup
