// Foreground waiting: forward signals sent to vcrun to the container process.
#pragma once

#include <signal.h>
#include <sys/types.h>

namespace vcrun {

// The signals forwarded to a foreground container process, plus SIGCHLD. Block them
// before the process is created so none is lost before wait_forwarding.
sigset_t forwarded_signals();

// Waits for `pid` while forwarding the blocked signals of `set` to it. Returns the exit
// status, 128+N for death by signal N.
int wait_forwarding(pid_t pid, const sigset_t& set);

}  // namespace vcrun
