// The cgroup a container's runtime-side hooks run in: outside vcrun's parent of containers
// (whose device program must not bind host processes), one per container, so that what a
// hook leaves running is found and killed when the container goes.
#pragma once

#include <string>

namespace vcrun::cgroup {

// <cgroup2 mount>/vcrun-hooks/<name> (or under the delegated cgroup vcrun runs in), where
// `name` is the container's cgroup name in its state store.
std::string hooks_dir(const std::string& name);

// Makes the directory (and vcrun-hooks/) if missing. No controller is enabled for it: the
// hooks run with the runtime's resources, as runc's do.
void make_hooks_cgroup(const std::string& path);

}  // namespace vcrun::cgroup
