// process.terminal: a pseudo-terminal from the container's own devpts instance, its
// master handed to the runtime (foreground proxy) or to an OCI --console-socket.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <string>

#include "base/fd.hpp"
#include "vcrun/spec.hpp"

namespace vcrun::console {

// In the container (after its /dev/pts is mounted and the root entered), before the user
// switch: opens a new pty pair, gives the slave to the process's uid (its group stays
// devpts' gid=, tty), turns ONLCR off (output arrives as written, as runc does), applies
// process.consoleSize, makes the slave the controlling terminal and stdin/stdout/stderr of
// this process in a new session, and returns the master.
UniqueFd open_in_container(const Process& process);

// Hands the master to the unix socket at `path` (OCI console-socket protocol).
void send_to_console_socket(const std::string& path, int master);

// Foreground: copies stdin -> master and master -> stdout (stdin in raw mode when it is a
// terminal, window size followed), forwards the blocked signals of `set` to pid, and
// returns pid's exit status (128+N for signal N) once it exited and the output drained.
int proxy_and_wait(pid_t pid, int master, const sigset_t& set);

}  // namespace vcrun::console
