// Reporting AppArmor and SELinux labels that vcrun does not apply.
#include "runtime/security/lsm.hpp"

#include <spdlog/spdlog.h>

namespace vcrun::security {

void warn_unapplied_labels(const Process& process, const std::string& mount_label) {
  const std::pair<const char*, const std::string*> labels[] = {
      {"process.apparmorProfile", &process.apparmor_profile},
      {"process.selinuxLabel", &process.selinux_label},
      {"linux.mountLabel", &mount_label},
  };
  for (const auto& [field, value] : labels)
    if (!value->empty())
      spdlog::warn("{}: \"{}\" is NOT applied: vcrun has no AppArmor/SELinux support, the "
                   "process runs without this label",
                   field, *value);
}

}  // namespace vcrun::security
