// Foreground waiting: forward signals sent to vcrun to the container process.
#pragma once

#include <signal.h>
#include <sys/types.h>

namespace vcrun {

// The signals forwarded to a foreground container process, plus SIGCHLD. Block them
// before the process is created so none is lost before wait_forwarding.
sigset_t forwarded_signals();

// After this long without an event, a foreground waiter gives back the memory start-up
// left resident (release_idle_memory): long enough that a short run (`run --rm true`) never
// pays for the pages its teardown faults back in, short against the jobs that wait for
// minutes, often hundreds at once.
inline constexpr int kIdleAfterMs = 100;

// Waits for `pid` while forwarding the blocked signals of `set` to it. Returns the exit
// status, 128+N for death by signal N. Idle for kIdleAfterMs, it releases idle memory once.
int wait_forwarding(pid_t pid, const sigset_t& set);

}  // namespace vcrun
