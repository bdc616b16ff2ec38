// The container's root filesystem: the one entry point the container init calls.
#pragma once

#include <string>

#include "vcrun/spec.hpp"

namespace vcrun::rootfs {

struct Plan {
  // Quick mode: build the root as an overlay with the host's "/" as read-only lower and a
  // private tmpfs-backed upper, mounted at spec.root.path (an empty dir the caller creates
  // in the state dir, e.g. /run/vcrun/<id>/rootfs). Everything happens inside the
  // container's own mount namespace, so nothing leaks on the host when it dies.
  bool host_overlay = false;
  std::string scratch_dir;  // empty dir for the tmpfs holding upper/ and work/
};

// Builds and enters the container's root filesystem. Must be called in a fresh private
// mount namespace, by the container init, before any user switch. On return the process's
// root and cwd are the container's "/", old root detached, spec mounts done, /dev set up,
// masked & readonly paths applied, root remounted read-only if spec.root.readonly,
// linux.rootfsPropagation applied. Throws vcrun::Error naming the object on any failure.
void setup(const ContainerSpec& spec, const Plan& plan);

}  // namespace vcrun::rootfs
