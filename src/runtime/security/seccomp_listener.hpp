// The OCI seccomp agent protocol (runtime-spec config-linux.md "seccomp", runtime.md
// ContainerProcessState): the notify listener fd of a container process goes to the unix
// socket at linux.seccomp.listenerPath, with the process's state, in one message.
#pragma once

#include <sys/types.h>

#include <string>

#include "vcrun/spec.hpp"

namespace vcrun::security {

// The message's JSON, runc's field order: {"ociVersion", "fds": ["seccompFd"], "pid",
// "metadata" (left out when empty, as runc does), "state": <state_json>}.
std::string container_process_state(pid_t pid, const std::string& metadata,
                                     const std::string& state_json);

// Connects to profile.listener_path (SOCK_STREAM) and sends container_process_state with
// listener_fd attached (SCM_RIGHTS). Errors name linux.seccomp.listenerPath.
void send_to_seccomp_agent(const Seccomp& profile, int listener_fd, pid_t pid,
                           const std::string& state_json);

}  // namespace vcrun::security
