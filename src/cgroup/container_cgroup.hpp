// A container's cgroup v2 directory: creation with every limit applied (or a clear refusal),
// RAII removal on failure, and idempotent destruction. The lifecycle's entry point.
#pragma once

#include <string>

#include "runtime/fd.hpp"
#include "vcrun/spec.hpp"

namespace vcrun::cgroup {

class ContainerCgroup {
 public:
  // Creates the container's cgroup (parent: linux.cgroupsPath, else <cgroup2 mount>/vcrun
  // or <own delegated cgroup>/vcrun), enables the controllers its limits need on the path,
  // applies every limit of spec.linux.resources and spec.vcrun, runs the CPU planner
  // (admission + sibling weights) under a lock in state_root and attaches the device BPF
  // program. Throws vcrun::Error / SpecError naming the field (and the missing controller)
  // for any limit it cannot enforce; nothing is left behind then.
  static ContainerCgroup create(const std::string& state_root, const std::string& id,
                                const ContainerSpec& spec);

  ContainerCgroup(ContainerCgroup&& o) noexcept;
  ContainerCgroup& operator=(ContainerCgroup&&) = delete;
  ContainerCgroup(const ContainerCgroup&) = delete;
  ~ContainerCgroup();  // not released: removes the cgroup again (destroy())

  const std::string& path() const { return path_; }
  // O_RDONLY|O_DIRECTORY|O_CLOEXEC fd of the directory, for clone3 CLONE_INTO_CGROUP.
  int dir_fd() const { return fd_.get(); }
  // The container exists now: keep the cgroup when this object dies.
  void release() { released_ = true; }

 private:
  ContainerCgroup(std::string state_root, std::string path)
      : state_root_(std::move(state_root)), path_(std::move(path)) {}

  std::string state_root_;
  std::string path_;
  UniqueFd fd_;
  bool released_ = false;
};

// Idempotent removal: cgroup.kill (or SIGKILL to every pid where cgroup.kill is missing),
// wait until the cgroup is empty, remove it and any sub-cgroups, re-plan the CPU weights of
// its siblings. A missing directory is fine. The device program goes with the directory.
void destroy(const std::string& state_root, const std::string& path);

// Kills every process in the cgroup (and below) with SIGKILL and waits until it is empty.
void kill_all(const std::string& path);

}  // namespace vcrun::cgroup
