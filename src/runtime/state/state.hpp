// The state store: one directory per container under the runtime root, JSON written
// atomically, flock-serialised access, and status that survives pid reuse.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/fd.hpp"
#include "runtime/teardown/record.hpp"
#include "vcrun/default_root.hpp"

namespace vcrun::state {

enum class Status { creating, created, running, paused, stopped };
const char* status_name(Status s);

struct ContainerState {
  std::string id;
  std::string bundle;
  std::string oci_version;
  pid_t pid = 0;                  // host pid of the container's init
  uint64_t pid_start_time = 0;    // /proc/<pid>/stat field 22, detects pid reuse
  bool started = false;           // `start` released the init
  std::string rootfs;             // absolute host path of the root as given
  std::string cgroup_path;        // absolute cgroupfs directory, empty when none
  std::string created;            // RFC 3339
  bool new_keyring = true;        // processes get their own session keyring (exec too)
  std::map<std::string, std::string> annotations;
  vcrun::teardown::Record teardown;  // what delete undoes, beside the init and this directory
};

// An exclusive flock on a file; released on destruction.
class Lock {
 public:
  Lock() = default;
  explicit Lock(UniqueFd fd) : fd_(std::move(fd)) {}

 private:
  UniqueFd fd_;
};

class Store {
 public:
  explicit Store(std::string root);

  const std::string& root() const { return root_; }
  std::string dir(const std::string& id) const { return root_ + "/" + id; }

  // The name of the container's cgroup under vcrun's default parent: the id for the
  // default root, else "<id>@<8 hex digits of a hash of the root>", so that two roots
  // can hold the same id ('@' is not allowed in ids: no root's name is another's).
  std::string cgroup_name(const std::string& id) const;

  // Refuses ids that are not [A-Za-z0-9][A-Za-z0-9_.-]{0,127} (SpecError "id").
  static void validate_id(const std::string& id);

  // Creates the container's directory; throws "container ID already exists".
  void create_dir(const std::string& id) const;
  bool exists(const std::string& id) const;

  // Exclusive lock for one container (a flock on its directory).
  Lock lock(const std::string& id) const;

  void save(const ContainerState& st) const;
  // Throws Error("container ID does not exist", ENOENT) when missing.
  ContainerState load(const std::string& id) const;
  std::vector<std::string> list() const;
  // Removes the state directory (after everything else is gone).
  void remove(const std::string& id) const;
  // The user name owning the container's state directory, as runc's `owner`: the
  // /etc/passwd name of its uid, "#UID" when it has none.
  std::string owner(const std::string& id) const;

 private:
  std::string root_;
};

// The OCI state document ({ociVersion, id, status, pid, bundle, annotations}) plus runc's
// rootfs and created, and its owner when given (`vcrun state`, not the hooks' stdin).
std::string oci_state_json(const ContainerState& st, Status status,
                           const std::optional<std::string>& owner = std::nullopt);
// The user name of `uid` in /etc/passwd, "#UID" when there is none (runc's form). Read
// directly: a static binary's getpwuid would need the NSS modules of the host's glibc.
std::string user_name(uid_t uid);

// The live status of a container from its saved state and the kernel.
Status current_status(const ContainerState& st);
// Start time (clock ticks since boot) of pid, nullopt when the process is gone.
std::optional<uint64_t> process_start_time(pid_t pid);
// True when st.pid still names the process vcrun started.
bool init_alive(const ContainerState& st);

}  // namespace vcrun::state
