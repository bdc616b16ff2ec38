// The optional built-in init (--init): PID 1 that reaps zombies and forwards signals.
#pragma once

#include <string>

#include "runtime/security/seccomp.hpp"
#include "vcrun/spec.hpp"

namespace vcrun {

// Applies the process's security settings to itself, forks the container process (which
// execs `exe`, resolved by prepare_exec before the filter), then
// forwards every catchable signal to it and reaps all children until it exits; exits with
// its status (128+N for death by signal N).
[[noreturn]] void run_builtin_init(const Process& process, const std::string& exe,
                                   const security::SeccompProgram* seccomp, int error_fd,
                                   unsigned preserved_fds);

}  // namespace vcrun
