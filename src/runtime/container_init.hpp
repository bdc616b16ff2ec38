// The container's init: what runs between clone and execve, in order.
#pragma once

#include <string>
#include <vector>

#include "runtime/rootfs.hpp"
#include "runtime/seccomp.hpp"
#include "runtime/state.hpp"
#include "vcrun/spec.hpp"

namespace vcrun {

struct InitContext {
  const ContainerSpec* spec = nullptr;
  rootfs::Plan rootfs_plan;
  const security::SeccompProgram* seccomp = nullptr;  // null: no filter
  int sync_fd = -1;        // the child's end of the sync channel
  int exec_fifo_fd = -1;   // O_PATH fd of exec.fifo for create/start; -1 for run
  std::vector<int> join_fds;       // namespaces to setns into (user first), already open
  std::vector<int> join_types;     // their CLONE_NEW* flags
  // The container's state: new_keyring, and for the createContainer/startContainer hooks
  // (their pid is filled in from the parent's "go" message: the host pid is not known
  // before clone).
  const state::ContainerState* state = nullptr;
  unsigned preserve_fds = 0;  // the caller's fds 3 .. N+2 stay open for the process
};

// Never returns: execs the container process or _exits with status 127 after telling the
// parent (or stderr) why.
[[noreturn]] void container_init(const InitContext& ctx);

// chdir into `cwd` resolved inside the current root, refusing magic links.
void enter_cwd(const std::string& cwd);

// Resolves args[0] against PATH from `env` (default PATH when unset), as execvp would but
// inside the container's root. Returns args[0] unchanged when it contains '/'.
std::string find_executable(const std::string& name, const std::vector<std::string>& env);

// rlimits, identity, capabilities, no_new_privs and seccomp (see capabilities.hpp for
// where the filter goes in that order).
void apply_process_security(const Process& process, const security::SeccompProgram* seccomp);
// Marks every fd above preserved_fds+2 close-on-exec and execs process.args; on failure
// reports through error_fd (the sync channel, whose close-on-exec EOF means success) or
// stderr, exits 127.
[[noreturn]] void exec_prepared(const Process& process, int error_fd, unsigned preserved_fds);
// Both of the above. Shared by the init and `exec`.
[[noreturn]] void exec_process(const Process& process, const security::SeccompProgram* seccomp,
                               int error_fd, unsigned preserved_fds);
// Reports a setup failure to the parent through error_fd (or stderr) and exits 127.
[[noreturn]] void fail(int error_fd, const std::string& message);

}  // namespace vcrun
