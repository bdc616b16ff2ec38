// Test support for root-run lanes: a busybox rootfs, bundles, and running the vcrun binary.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace vcrun::test {

struct Result {
  int status = -1;   // exit status (128+N for a signal death), as a shell reports it
  std::string out;   // stdout
  std::string err;   // stderr
};

// Path of the vcrun binary under test (VCRUN_BINARY, overridable by $VCRUN_BINARY).
std::string vcrun_binary();
// Scratch directory for this test binary (created; under the build tree).
std::string work_dir();
// A runtime root (--root) private to this test process.
std::string runtime_root();

// True while the container `id` has a state directory under runtime_root().
bool state_dir_exists(const std::string& id);

// A busybox rootfs built once per process from Debian's busybox-static (bin/ with applet
// links, etc/passwd, etc/group, proc/ sys/ dev/ tmp/ directories). Returned path is shared:
// tests that modify a rootfs must use make_bundle's own copy.
std::string busybox_rootfs();

// Creates a bundle directory holding config.json = `config` and a `rootfs` symlink-free
// copy (hard-link farm) of the busybox rootfs. Returns the bundle path.
std::string make_bundle(const std::string& name, const nlohmann::json& config);
// `vcrun spec`-like default config with args replaced and root.path "rootfs".
nlohmann::json default_config(const std::vector<std::string>& args);

// Runs vcrun with `--root runtime_root()` and args; captures stdout/stderr; waits.
Result run_vcrun(const std::vector<std::string>& args, const std::string& stdin_data = "");
// Like vcrun() but stdout/stderr go to files and only vcrun itself is waited for: for
// `create`/`run --detach`, whose container keeps the inherited stdio open.
Result run_vcrun_detached(const std::vector<std::string>& args);
// Runs an arbitrary command the same way.
Result run(const std::vector<std::string>& argv, const std::string& stdin_data = "");

// A running container (`sleep 60`, run --detach) that is deleted at scope exit.
struct RunningContainer {
  std::string id;
  explicit RunningContainer(const std::string& tag);
  ~RunningContainer();
  RunningContainer(const RunningContainer&) = delete;
  RunningContainer& operator=(const RunningContainer&) = delete;
  nlohmann::json state() const;
};

// A unique container id for this process ("t<pid>-<n>-<tag>").
std::string unique_id(const std::string& tag);

bool is_root();

// What a client of vcrun's fd handovers (a console socket, a seccomp agent) reads from an
// accepted connection: every byte up to EOF and the fd that came with them (-1: none;
// close-on-exec, the caller's to close). Written here, not with vcrun's own helper, so the
// tests check the wire format independently.
struct FdMessage {
  std::string text;
  int fd = -1;
};
FdMessage receive_fd_message(int conn);

// True while pid exists and is not a zombie (an orphaned init may await reaping by the
// host's init for a moment after it died).
bool process_alive(pid_t pid);

}  // namespace vcrun::test
