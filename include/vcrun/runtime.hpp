// vcrun's library API: the container lifecycle, as the CLI and embedding programs use it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "vcrun/default_root.hpp"
#include "vcrun/spec.hpp"
#include "vcrun/stats.hpp"

namespace vcrun {

// What `Runtime::update` changes: each field set replaces the container's, each unset one
// keeps it. The linux.resources part as in a runc `update --resources` file (devices
// excepted: a live container's device rules are not changed), vcrun's CPU plan, the bind
// allowlist and the egress class.
struct ResourceUpdate {
  std::optional<Resources> resources;           // linux.resources (its devices are ignored)
  std::optional<double> cpu_reservation;        // vcrun.cpu.reservation
  std::optional<double> cpu_share;              // vcrun.cpu.share
  std::optional<BindAllowList> bind_allow;      // vcrun.network.bindAllow
  std::optional<uint64_t> net_rate, net_ceil;   // vcrun.network.rate, .ceil (bits/s)
  std::optional<double> net_share;              // vcrun.network.share
  bool operator==(const ResourceUpdate&) const = default;
};

struct CreateOptions {
  std::string bundle;    // absolute bundle dir ("" in quick mode)
  std::string pid_file;  // written with the init's host pid when non-empty
  // Quick mode: no bundle; the root is the host's "/" under a private overlay unless the
  // spec's root.path was given explicitly (host_overlay = false).
  bool quick = false;
  bool host_overlay = false;
  // process.terminal with create/run --detach: the unix socket that receives the pty
  // master (OCI console-socket protocol). A foreground run proxies the terminal itself.
  std::string console_socket;
  unsigned preserve_fds = 0;  // the caller's fds 3 .. N+2 reach the container process
  bool new_keyring = true;    // false: processes keep the caller's session keyring
  bool no_pivot = false;      // --no-pivot: MS_MOVE + chroot instead of pivot_root
};

struct ExecOptions {
  // The process to start: the container's own process with these changes, or, with
  // `process_file` (an OCI process object, as runc/crun exec --process take), that file's
  // process with these changes.
  std::string process_file;
  std::vector<std::string> args;  // empty: the process's args (needs process_file)
  std::vector<std::string> env;   // added to / overriding the process's env
  std::string cwd;                // empty: the process's cwd
  std::string user;               // "UID[:GID]"; empty: the process's user
  std::string pid_file;
  bool detach = false;
  bool tty = false;  // a new pty from the container's devpts (also process.terminal)
  std::string console_socket;  // where the pty's master goes instead of a proxy (needed with detach)
  unsigned preserve_fds = 0;   // the caller's fds 3 .. N+2 reach the process
  std::vector<std::string> caps;  // "CAP_*" added to bounding, effective and permitted
  std::vector<std::string> additional_gids;  // appended to the user's additional gids
  bool no_new_privs = false;
  // runc's `exec --cgroup [CONTROLLER:]PATH` (repeatable): an existing cgroup below the
  // container's own that the process starts in. On cgroup v2 all must name one path.
  std::vector<std::string> cgroup;
  // Override process.apparmorProfile / process.selinuxLabel (treated as the spec's are).
  std::string apparmor_profile, process_label;
  bool ignore_paused = false;  // exec into a paused container: the process runs once resumed
};

struct ContainerInfo {
  std::string id;
  pid_t pid = 0;
  std::string status;
  std::string bundle;
  std::string created;
  // runc's `list` fields beside the above.
  std::string oci_version;
  std::string rootfs;
  std::string owner;  // user name owning the state ("#UID" without one), as runc
  std::map<std::string, std::string> annotations;
};

// The OCI runtime features document (runtime-spec features.md) of this build on this
// kernel: what `vcrun features` prints and OCI tooling probes before using a runtime.
std::string features_json();


class Runtime {
 public:
  explicit Runtime(std::string root);

  // Sets up the container up to the point of executing process.args; the init waits.
  // `config_json` is an OCI config.json (relative paths against opts.bundle).
  void create(const std::string& id, const std::string& config_json, const CreateOptions& opts);
  void start(const std::string& id);
  // create + start; in the foreground waits and returns the exit status (128+N for signal
  // N) while forwarding signals; detached returns 0 once started. `remove` deletes the
  // container after it exits (foreground only).
  int run(const std::string& id, const std::string& config_json, const CreateOptions& opts,
          bool detach, bool remove);
  void kill(const std::string& id, int signal, bool all);
  void remove(const std::string& id, bool force);
  std::string state_json(const std::string& id);
  std::vector<ContainerInfo> list();
  // The host pids of the container's processes: every process in its cgroup and the
  // cgroups below (just the init when it has no cgroup); empty once it stopped.
  std::vector<pid_t> processes(const std::string& id);
  // runc's `ps`: the host's `ps` with `ps_args` (default -ef), its header and the lines of
  // the container's processes.
  std::string ps_table(const std::string& id, std::vector<std::string> ps_args);
  int exec(const std::string& id, const ExecOptions& opts);

  // Changes the limits of a created, running or paused container: the fields set in
  // `changes`; the others keep their values. A CPU reservation and an egress class go
  // through admission control; a refused update changes nothing. A bind allowlist replaces
  // the container's (or gives it one) atomically. The values are taken as parsed (by
  // parse_resources_json, or the caller's own checks), not validated again.
  void update(const std::string& id, const ResourceUpdate& changes);
  // The cgroup freezer: pause freezes every process of the container, resume thaws them.
  void pause(const std::string& id);
  void resume(const std::string& id);
  // Usage of the given containers (all of this root's when `ids` is empty), CPU sampled
  // over a tenth of a second.
  std::vector<ContainerStats> stats(std::vector<std::string> ids);
  // runc's `events`: calls `emit` with one JSON object per event, {"type":"stats",...}
  // every `interval` and {"type":"oom",...} whenever the OOM killer kills in the container,
  // until it stops; with `once`, one stats event and return.
  void events(const std::string& id, std::chrono::milliseconds interval, bool once,
              const std::function<void(const std::string&)>& emit);

  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

}  // namespace vcrun
