// Copy-on-write roots: when a container's root must be an overlay (a unified tree, extra
// lowers or an upper asked for in the "vcrun" object), its plan and its upper directory;
// and the refusal of what would write into a unified tree around the overlay.
#pragma once

#include <optional>
#include <string>

#include "runtime/rootfs/rootfs.hpp"
#include "vcrun/spec.hpp"

namespace vcrun::rootfs {

// Where a bundle container's upper lives unless vcrun.upper says: beside config.json.
std::string default_upper_dir(const std::string& bundle, const std::string& id);

// The overlay for root.path (as the uppermost lower, vcrun.lowers below it), mounted over
// root.path itself; nullopt when the root is used directly (nothing unified, no lowers, no
// upper). Its upper is vcrun.upper, else default_upper_dir() for a bundle, else (quick
// mode) a private tmpfs at `scratch`. Throws SpecError naming the field when a layer is
// missing, the upper overlaps a layer, or a root used directly holds a unified tree.
// Creates nothing.
std::optional<Overlay> plan_cow_root(const ContainerSpec& spec, const std::string& bundle,
                                     const std::string& id, const std::string& scratch);

// Quick mode's overlay of the host's "/" with --upper DIR (vcrun.upper): the same overlap
// check as plan_cow_root's, against what that overlay has for layers: DIR must not be "/"
// (the lower; every other path lies in it by design) and must lie outside the container's
// state directory (which holds the root's mount point and is removed with the container),
// and not hold it. Throws SpecError naming vcrun.upper.
void check_host_overlay_upper(const std::string& upper, const std::string& state_dir);

// Makes `o`'s persistent upper and work directories if missing (deliberately kept by
// delete: they hold the container's changes, for the next container of that id). A new
// upper root gets the mode and owner of the uppermost lower's root, owned by the container's
// root when the spec maps a new user namespace. No-op for a tmpfs upper. Made and changed
// through descriptors (base/dir_fd.hpp): a symlink on the way is refused in one line
// ("vcrun.upper: ..."); o.upper_fd/o.work_fd hold the verified directories for the mount.
void make_upper_dirs(Overlay& o, const ContainerSpec& spec);

// In the init, right before the overlay mount: `path` (o.upper or o.work) opened in this
// mount namespace without following symlinks, and checked to be `verified_fd`'s directory
// (make_upper_dirs'). Throws "vcrun.upper: ..." when the name leads elsewhere now.
UniqueFd reopen_upper_layer(const std::string& path, int verified_fd);

// Refuses a writable bind mount whose source is in, is, or holds a unified tree (as listed
// beside the index): it would write into inodes that other containers share. Throws
// SpecError naming mounts[i].source.
void refuse_writable_unified_binds(const ContainerSpec& spec);

}  // namespace vcrun::rootfs
