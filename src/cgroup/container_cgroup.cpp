// Creating a container's cgroup with its limits, and removing it (kill, wait, rmdir, replan).
#include "cgroup/container_cgroup.hpp"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include <spdlog/spdlog.h>

#include "base/bpf.hpp"
#include "base/fs_util.hpp"
#include "cgroup/apply.hpp"
#include "cgroup/cpu_planner.hpp"
#include "cgroup/device_bpf.hpp"
#include "cgroup/flat_keyed.hpp"
#include "cgroup/freezer.hpp"
#include "cgroup/hierarchy.hpp"
#include "cgroup/io_weight.hpp"
#include "cgroup/limits.hpp"
#include "cgroup/procs.hpp"
#include "vcrun/error.hpp"

namespace vcrun::cgroup {

namespace {

// "populated 1" in cgroup.events: some process in the cgroup or below.
bool populated(const std::string& dir) {
  try {
    return flat_key(read_file(dir + "/cgroup.events"), "populated") == "1";
  } catch (const Error& e) {
    if (e.code() == ENOENT) return false;
    throw;
  }
  return false;
}

// Fallback for kernels without cgroup.kill (< 5.14): SIGKILL every pid, cgroups below
// before their parents. Repeated by the caller until the cgroup is empty, as forks may
// race with the kill.
void kill_pids(const std::string& dir) {
  auto tree = cgroup_tree(dir);
  for (auto cg = tree.rbegin(); cg != tree.rend(); ++cg) {
    try {
      if (auto pids = read_procs(*cg))
        for (pid_t pid : *pids)
          if (pid > 0) ::kill(pid, SIGKILL);
    } catch (const Error&) {
    }
  }
}

// Cgroups below before their parents.
void remove_tree(const std::string& dir) {
  auto tree = cgroup_tree(dir);
  for (auto cg = tree.rbegin(); cg != tree.rend(); ++cg) {
    for (int attempt = 0;; ++attempt) {
      if (::rmdir(cg->c_str()) == 0 || errno == ENOENT) break;
      // EBUSY right after the last task exited: the kernel drops the css asynchronously.
      if (errno != EBUSY || attempt >= 200) throw_errno("remove cgroup " + *cg);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
}

}  // namespace

void kill_all(const std::string& path) {
  if (!exists(path)) return;
  bool has_kill = exists(path + "/cgroup.kill");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (int round = 0; populated(path); ++round) {
    if (round % 50 == 0) {  // again every ~0.5 s, against forks racing the first kill
      if (has_kill) {
        try {
          write_existing(path + "/cgroup.kill", "1");
        } catch (const Error& e) {
          if (e.code() != ENOENT) throw;
          return;
        }
      } else {
        kill_pids(path);
      }
    }
    if (std::chrono::steady_clock::now() > deadline)
      throw Error("cgroup " + path + " still has processes 10 s after SIGKILL", EBUSY);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

ContainerCgroup ContainerCgroup::create(const std::string& name, const ContainerSpec& spec,
                                        const RecordMade& record_made) {
  // Everything that can be refused from the spec alone is refused before touching anything.
  std::string path = container_dir(spec.linux.cgroups_path, name);
  auto writes = plan_limits(spec);
  bool planner = uses_cpu_planner(spec);
  auto needs = needs_of(writes, planner, planner_field(spec));
  auto device_rules = effective_device_rules(spec);
  auto program = generate_device_program(device_rules);
  // Containers in vcrun's own parent with the default device policy inherit the parent's
  // program; any other container gets its own.
  bool inherit_devices = spec.linux.cgroups_path.empty() && is_default_device_policy(device_rules);

  std::string parent = parent_of(path);
  // prepare_path enables on every ancestor of its argument: pass the container dir so the
  // parent gets the controllers for its children. Controllers for stats are a bonus.
  // A linux.cgroupsPath's missing directories are recorded before any is made.
  const bool record = !spec.linux.cgroups_path.empty() && record_made;
  std::vector<std::string> to_make;
  if (record) {
    to_make = missing_ancestors(path);
    if (!exists(path)) to_make.push_back(path);
    if (!to_make.empty()) record_made(to_make);
  }
  auto made = prepare_path(path, needs, {"cpu", "memory", "pids", "io"});

  if (inherit_devices) {
    UniqueFd parent_fd(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!parent_fd) throw_errno("open cgroup " + parent);
    inherit_devices = ensure_inherited_default_program(parent_fd.get(), parent);
  }

  bool created = true;
  const bool there = exists(path);
  if (there && !spec.linux.cgroups_path.empty()) {
    // Someone made it for the container (a pod's or a manager's cgroup): used as it is and
    // kept on delete. One with processes is refused, as runc 1.2 refuses it: they would
    // share the container's limits and be killed with it. A frozen empty one is thawed
    // (runc refuses that too): nothing in it to keep frozen, and the init would freeze.
    if (populated(path))
      throw SpecError("linux.cgroupsPath", "cgroup " + path + " already holds processes; vcrun "
                                           "does not start a container in a cgroup it shares");
    if (is_frozen(path)) {
      spdlog::warn("cgroup: {} (linux.cgroupsPath) is frozen and empty: thawing it", path);
      set_frozen(path, false);
    }
    created = false;
  } else if (there) {
    // A leftover of a crashed vcrun in its own parent: reuse is unsafe with processes.
    if (populated(path))
      throw Error("cgroup " + path + " already exists and has processes (container id in use?)", EEXIST);
    spdlog::warn("cgroup: removing stale empty cgroup {}", path);
    remove_tree(path);
  }
  bool made_it = created && ::mkdir(path.c_str(), 0755) == 0;
  int mkdir_errno = errno;
  if (made_it) made.push_back(path);
  if (record && made != to_make) record_made(made);  // another process made some meanwhile
  if (created && !made_it) throw_errno("create cgroup " + path, mkdir_errno);

  ContainerCgroup cg(path);  // from here on, a throw removes what vcrun did
  cg.created_ = created;
  cg.fd_.reset(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cg.fd_) throw_errno("open cgroup " + path);

  apply_writes(path, writes);
  warn_if_weight_ignored(writes);
  plan_store::upsert(plan_member_for(path, spec));
  if (!inherit_devices) attach_device_program(cg.fd_.get(), program, path);
  spdlog::debug("cgroup: created {} ({} limits)", path, writes.size());
  return cg;
}

ContainerCgroup::ContainerCgroup(ContainerCgroup&& o) noexcept
    : path_(std::move(o.path_)),
      fd_(std::move(o.fd_)),
      released_(o.released_),
      created_(o.created_) {
  o.released_ = true;
  o.path_.clear();
}

ContainerCgroup::~ContainerCgroup() {
  if (released_ || path_.empty()) return;
  fd_.reset();
  try {
    destroy(path_, created_);
  } catch (const std::exception& e) {
    spdlog::warn("cgroup: cleanup of {} failed: {}", path_, e.what());
  }
}

void remove_made_dirs(const std::vector<std::string>& dirs) {
  if (dirs.empty()) return;
  const std::string mp = cgroup2_mount().mount_point + "/";
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
    const std::string& dir = *it;
    if (dir.rfind(mp, 0) != 0 || dir.find("/..") != std::string::npos) {
      spdlog::warn("cgroup: not removing {}: not below {}", dir, mp);
      continue;
    }
    for (int attempt = 0;; ++attempt) {
      if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) break;
      int err = errno;
      // EBUSY without sub-cgroups: the last process below it has just exited.
      if (err == EBUSY && attempt < 50 && child_cgroups(dir).empty()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      spdlog::debug("cgroup: keeping {}: {}", dir, std::strerror(err));
      return;  // in use: so are the directories above it
    }
  }
}

void destroy(const std::string& path, bool created) {
  if (path.empty()) return;
  if (!created) {
    // Not vcrun's: empty it of the container's processes, take back vcrun's device and bind
    // programs (the next container's would apply on top of them), keep the directory.
    if (exists(path)) {
      if (is_frozen(path)) set_frozen(path, false);
      kill_all(path);
      UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (fd) bpf::detach_all_own(fd.get(), path);
      spdlog::debug("cgroup: kept {}: it existed before the container", path);
    }
    plan_store::remove(path);
    return;
  }
  // The usual case after a container's init exited: an empty cgroup, removed at once.
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT) {
    // A frozen cgroup still dies: SIGKILL gets through the v2 freezer. Thawing first
    // lets a pre-5.14 kernel's plain kill() deliver as well.
    if (exists(path + "/cgroup.freeze")) {
      try {
        write_existing(path + "/cgroup.freeze", "0");
      } catch (const Error&) {
      }
    }
    kill_all(path);
    remove_tree(path);
  }
  plan_store::remove(path);
}

}  // namespace vcrun::cgroup
