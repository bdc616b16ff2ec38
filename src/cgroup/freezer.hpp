// Pausing and resuming a container through cgroup v2's freezer (cgroup.freeze).
#pragma once

#include <chrono>
#include <string>

namespace vcrun::cgroup {

// Writes cgroup.freeze and waits until cgroup.events reports "frozen" equal to `frozen`.
// Throws Error when the cgroup is gone, has no freezer (kernel < 5.2), or the state is not
// reached within `timeout`.
void set_frozen(const std::string& path, bool frozen,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));
// "frozen 1" in cgroup.events. Throws Error when the file cannot be read (no cgroup).
bool is_frozen(const std::string& path);

}  // namespace vcrun::cgroup
