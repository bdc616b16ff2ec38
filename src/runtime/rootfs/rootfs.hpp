// The container's root filesystem: the one entry point the container init calls.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/fd.hpp"

#include "vcrun/spec.hpp"

namespace vcrun::rootfs {

// A root built as an overlay, mounted at spec.root.path (an empty directory).
struct Overlay {
  std::vector<std::string> lowers;  // read-only layers, uppermost first
  // A persistent upper and its work directory (same file system), or both empty: then a
  // private tmpfs is mounted at `scratch` (an empty directory) and holds upper/ and work/.
  // Everything happens inside the container's own mount namespace, so nothing leaks on
  // the host when it dies. Quick mode: lowers {"/"} and a private upper.
  std::string upper, work;
  // make_upper_dirs' descriptors of upper and work (the runtime's mount namespace): the
  // init mounts them only if their names still lead there (reopen_upper_layer).
  std::shared_ptr<const UniqueFd> upper_fd, work_fd;
  std::string scratch;
};

struct Plan {
  std::optional<Overlay> overlay;  // none: spec.root.path is the root itself
  // Per spec.mounts index: a detached copy of a bind source made by the runtime (see
  // clone_bind_sources), or -1 where the init resolves the source itself.
  std::vector<int> bind_trees;
  // `create --no-pivot` (runc's flag, for roots on an initramfs, where pivot_root fails):
  // move the root onto "/" and chroot into it. Weaker: see enter_root_without_pivot.
  bool no_pivot = false;
  // nsfs identity of the runtime's own mount namespace, taken before clone: setup refuses
  // to run there (as in PID 1's) whichever namespace the runtime was started in. 0: unknown.
  uint64_t runtime_mnt_dev = 0;
  uint64_t runtime_mnt_ino = 0;
};

// In the runtime before clone, for a container with a user namespace: a detached copy of
// each bind mount's source, made with the runtime's credentials. The container's root is
// an unprivileged host uid that may not even reach the source's directory. Empty entries
// for the other mounts. Throws Error naming mounts[i].source.
std::vector<UniqueFd> clone_bind_sources(const ContainerSpec& spec);

// Builds and enters the container's root filesystem. Must be called in a fresh private
// mount namespace, by the container init, before any user switch. On return the process's
// root and cwd are the container's "/", old root detached, spec mounts done, /dev set up,
// masked & readonly paths applied, root remounted read-only if spec.root.readonly,
// linux.rootfsPropagation applied. `before_pivot` runs when the mounts are done, still
// under the runtime's root (where OCI runs the createContainer hooks). Throws
// vcrun::Error naming the object on any failure.
void setup(const ContainerSpec& spec, const Plan& plan,
           const std::function<void()>& before_pivot = {});

}  // namespace vcrun::rootfs
