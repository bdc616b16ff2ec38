// Where the cgroup v2 hierarchy is and what it offers: the cgroup2 mount, our own cgroup,
// available controllers, enabling controllers down a path. Never looks at v1 hierarchies.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <utility>
#include <string>
#include <vector>

namespace vcrun::cgroup {

// The cgroup2 mount as this process sees it.
struct Mount2 {
  std::string mount_point;  // "/sys/fs/cgroup" (pure v2) or "/sys/fs/cgroup/unified" (hybrid)
  std::string root;         // the mount's root inside the hierarchy (field 4 of mountinfo)
};

// Pure: the cgroup2 mount in a /proc/self/mountinfo text; nullopt when there is none.
// Prefers a mount whose root is "/" and then the one at /sys/fs/cgroup.
std::optional<Mount2> find_cgroup2_mount(const std::string& mountinfo);
// The cgroup2 mount whose mount point is `path`, from statfs + statx + statmount(2) (Linux
// 6.8+) rather than a scan of mountinfo. nullopt when `path` is not a cgroup2 mount point
// or the kernel has no statmount.
std::optional<Mount2> statmount_cgroup2(const char* path);
// Pure: our cgroup v2 path ("0::<path>" line) from a /proc/self/cgroup text.
std::optional<std::string> own_cgroup_v2_path(const std::string& proc_self_cgroup);

// The cgroup2 mount of this process (cached). Throws Error when there is no cgroup2 mount.
const Mount2& cgroup2_mount();

// The level of the cgroup directory `dir` in the cgroup v2 hierarchy (the root is 0) and its
// id (the directory's inode number), as nftables' `socket cgroupv2 level` compares them.
std::pair<unsigned, uint64_t> level_and_id(const std::string& dir);
// Absolute cgroupfs directory of this process's own cgroup.
std::string own_cgroup_dir();

// Controllers listed in <dir>/cgroup.controllers (those the parent hands down to it).
std::set<std::string> controllers_of(const std::string& dir);
// Controllers enabled for the children of dir (its cgroup.subtree_control).
std::set<std::string> subtree_control_of(const std::string& dir);

// The parent directory for containers when linux.cgroupsPath is empty:
// <mount>/vcrun, or <own cgroup>/vcrun when this process runs in a delegated subtree
// (systemd marks such cgroups with the trusted.delegate / user.delegate xattr).
std::string default_parent_dir();

// The container's cgroup directory for a spec's linux.cgroupsPath (empty: default parent
// plus `name`, the state store's cgroup name of the container). OCI: an absolute cgroupsPath is relative to the hierarchy root, a relative one
// relative to our own cgroup. Throws SpecError("linux.cgroupsPath", ...) for "..", or the
// systemd "slice:prefix:name" form.
std::string container_dir(const std::string& cgroups_path, const std::string& name);

// Makes sure every directory from the mount point down to `dir` exists and that each
// controller in `required` is enabled in the subtree_control of every ancestor of dir.
// `wanted` are enabled where possible (failures ignored). Throws Error naming `field` and
// the controller when a required controller is not available in the hierarchy.
// Returns the ancestors it created (outermost first); `dir` itself is not created.
struct ControllerNeed {
  std::string controller;
  std::string field;  // the spec field that needs it, for the error message
};
std::vector<std::string> prepare_path(const std::string& dir, const std::vector<ControllerNeed>& required,
                  const std::set<std::string>& wanted);

// The ancestors of `dir` below the cgroup2 mount that do not exist yet, outermost first:
// what prepare_path(dir, ...) would create.
std::vector<std::string> missing_ancestors(const std::string& dir);

// Number of CPUs the containers under `parent_dir` may use (cpuset.cpus.effective when the
// cpuset controller is there, else this process's affinity mask).
unsigned cpus_available(const std::string& parent_dir);

// Error message for a controller that is not available.
std::string missing_controller_message(const std::string& field, const std::string& controller);

}  // namespace vcrun::cgroup
