// A container's cgroup v2 directory: creation with every limit applied (or a clear refusal),
// RAII removal on failure, and idempotent destruction. The lifecycle's entry point.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/fd.hpp"
#include "vcrun/spec.hpp"

namespace vcrun::cgroup {

class ContainerCgroup {
 public:
  // Creates the container's cgroup (linux.cgroupsPath, else `name` under <cgroup2 mount>/vcrun
  // or <own delegated cgroup>/vcrun), enables the controllers its limits need on the path,
  // applies every limit of spec.linux.resources and spec.vcrun, runs the CPU planner
  // (admission + sibling weights) under a lock of the parent directory and attaches the
  // device BPF program. Throws vcrun::Error / SpecError naming the field (and the missing controller)
  // for any limit it cannot enforce; nothing is left behind then. A linux.cgroupsPath
  // cgroup that exists already is used in place (thawed if frozen) and kept by destroy();
  // one holding processes is refused (SpecError "linux.cgroupsPath").
  // The directories of a linux.cgroupsPath that do not exist yet (missing parents and the
  // cgroup itself, outermost first) are given to `record_made` before any is made, and
  // again if fewer were made: the caller keeps them where remove_made_dirs() finds them,
  // also after a crash.
  using RecordMade = std::function<void(const std::vector<std::string>&)>;
  static ContainerCgroup create(const std::string& name, const ContainerSpec& spec,
                                const RecordMade& record_made = {});

  ContainerCgroup(ContainerCgroup&& o) noexcept;
  ContainerCgroup& operator=(ContainerCgroup&&) = delete;
  ContainerCgroup(const ContainerCgroup&) = delete;
  ~ContainerCgroup();  // not released: removes the cgroup again (destroy())

  const std::string& path() const { return path_; }
  // O_RDONLY|O_DIRECTORY|O_CLOEXEC fd of the directory, for clone3 CLONE_INTO_CGROUP.
  int dir_fd() const { return fd_.get(); }
  // The container exists now: keep the cgroup when this object dies.
  void release() { released_ = true; }
  // false: linux.cgroupsPath named an existing (empty) cgroup, which destroy() keeps.
  bool created() const { return created_; }

 private:
  explicit ContainerCgroup(std::string path) : path_(std::move(path)) {}

  std::string path_;
  UniqueFd fd_;
  bool released_ = false;
  bool created_ = true;
};

// Idempotent removal: cgroup.kill (or SIGKILL to every pid where cgroup.kill is missing),
// wait until the cgroup is empty, remove it and any sub-cgroups, re-plan the CPU weights of
// its siblings. A missing directory is fine. The device program goes with the directory.
// `created` false (a linux.cgroupsPath cgroup that existed before the container): the
// processes are killed and vcrun's device program detached, but the directory stays.
void destroy(const std::string& path, bool created = true);

// Removes the directories vcrun made for a linux.cgroupsPath (as given to record_made,
// outermost first), deepest first and each only while it is empty: one that holds another
// cgroup by now stays, and so do those above it. Missing ones are fine; paths outside the
// cgroup2 mount are ignored. Call after destroy(), which empties the cgroup itself.
void remove_made_dirs(const std::vector<std::string>& dirs);

// Kills every process in the cgroup (and below) with SIGKILL and waits until it is empty.
void kill_all(const std::string& path);

}  // namespace vcrun::cgroup
