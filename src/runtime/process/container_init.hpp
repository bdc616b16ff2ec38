// The container's init: what runs between clone and execve, in order.
#pragma once

#include <string>
#include <vector>

#include "runtime/rootfs/rootfs.hpp"
#include "runtime/security/seccomp.hpp"
#include "runtime/state/state.hpp"
#include "vcrun/error.hpp"
#include "vcrun/spec.hpp"

namespace vcrun {

struct InitContext {
  const ContainerSpec* spec = nullptr;
  rootfs::Plan rootfs_plan;
  const security::SeccompProgram* seccomp = nullptr;  // null: no filter
  int sync_fd = -1;        // the child's end of the sync channel
  int exec_fifo_fd = -1;   // O_PATH fd of exec.fifo for create/start; -1 for run
  std::vector<int> join_fds;       // namespaces to setns into (not user, pid), already open
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
// inside the container's root. Returns args[0] unchanged when it contains '/' (after
// checking it exists). Throws ExecError (127) when there is nothing to execute.
std::string find_executable(const std::string& name, const std::vector<std::string>& env);

// Before the security settings: find_executable, and every fd above preserved_fds+2
// close-on-exec. Neither may wait for the seccomp filter, which need not allow them.
std::string prepare_exec(const Process& process, unsigned preserved_fds);
// rlimits, identity, capabilities, no_new_privs and seccomp (see capabilities.hpp for
// where the filter goes in that order). Returns the filter's notify listener fd, if any.
UniqueFd apply_process_security(const Process& process, const security::SeccompProgram* seccomp);
// execve(exe, process.args, process.env); on failure reports an ExecError (126, or 127 for
// ENOENT) through error_fd (the sync channel or the exec fifo, whose close-on-exec EOF
// means success) or stderr, and exits with that status.
[[noreturn]] void exec_prepared(const Process& process, const std::string& exe, int error_fd);
// The three above in order, for `exec`; a notify listener fd goes to the parent over
// error_fd (the sync channel) between the filter and execve.
[[noreturn]] void exec_process(const Process& process, const security::SeccompProgram* seccomp,
                               int error_fd, unsigned preserved_fds);
// Reports a setup failure to the parent through error_fd (or stderr) and exits 127.
[[noreturn]] void fail(int error_fd, const std::string& message);
// Reports a failure to execute the command and exits with its status (126 or 127).
[[noreturn]] void fail_exec(int error_fd, const ExecError& e);

}  // namespace vcrun
