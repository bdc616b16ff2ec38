// The CPU reservation monitor: a feedback loop that keeps work-conserving reservations on
// target where static cgroup weights miss it (multi-CPU load balancing, docs/design.md).
#pragma once

#include <cstdint>
#include <string>

namespace vcrun::cgroup {

// Starts the monitor for the parent cgroup of `cgroup_path` when any container there has a
// work-conserving reservation (r > 0 and s > 0) and no monitor runs for it yet. Returns at
// once; the monitor is a detached daemon-less helper process (double fork, setsid, no
// inherited fds, stdio on /dev/null, left in the caller's cgroup) that exits by itself
// when no work-conserving reservation is left under that parent or the parent is gone.
// Call after ContainerCgroup::create succeeded (and after `vcrun update` changed r or s).
// Never throws: a monitor that cannot start only costs precision, so it is logged.
void start_cpu_monitor(const std::string& id, const std::string& cgroup_path);

// The loop itself, in the calling process, until nothing is left to control (or `max_ms`
// elapsed when > 0). Returns false without looping when another monitor already runs for
// `parent`. Exposed for tests and the bench.
bool run_cpu_monitor(const std::string& parent, uint64_t max_ms = 0);

// Pure: one controller step, exposed for unit tests. `err_frac` = target - measured share
// of the parent's capacity during a contended interval; returns the new log-weight offset
// from the planned weight and updates the integral.
struct MonitorGains {
  double kp = 2.0;   // proportional, per unit of share error
  double ki = 0.6;   // integral, per tick per unit of share error
  double max_offset = 3.0;  // |log(w / w_planned)| bound: e^3 = 20x
};
double controller_step(double err_frac, double& integral, const MonitorGains& g = {});

}  // namespace vcrun::cgroup
