// The cgroup module's public face for the lifecycle: container cgroups, the CPU monitor,
// quick-mode resource flags. Include this one header from outside src/cgroup/.
#pragma once

#include "cgroup/container_cgroup.hpp"
#include "cgroup/cpu_monitor.hpp"
#include "runtime/spec/resource_flags.hpp"
