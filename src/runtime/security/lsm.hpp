// AppArmor and SELinux labels: vcrun does not apply them (no LSM support yet; `vcrun
// features` reports both disabled). A spec that asks for one must not look confined.
#pragma once

#include "vcrun/spec.hpp"

namespace vcrun::security {

// Logs one warning per label the process (and, for create/run, linux.mountLabel) asks
// for, naming the field: the container runs without it.
void warn_unapplied_labels(const Process& process, const std::string& mount_label = "");

}  // namespace vcrun::security
