// Per-process resource limits of the container process: rlimits and oom_score_adj.
#include <sys/resource.h>

#include <string>

#include "base/fs_util.hpp"
#include "runtime/security/capabilities.hpp"
#include "vcrun/error.hpp"

namespace vcrun::security {

void apply_rlimits(const Process& process) {
  for (size_t i = 0; i < process.rlimits.size(); ++i) {
    const Rlimit& r = process.rlimits[i];
    if (r.soft > r.hard)
      throw SpecError("process.rlimits[" + std::to_string(i) + "]",
                      r.name + ": soft limit " + std::to_string(r.soft) +
                          " is above the hard limit " + std::to_string(r.hard));
    // The OCI value 2^64-1 is RLIM_INFINITY (unlimited) on Linux, so no translation.
    struct rlimit lim{static_cast<rlim_t>(r.soft), static_cast<rlim_t>(r.hard)};
    if (::setrlimit(static_cast<__rlimit_resource>(r.resource), &lim) != 0)
      throw_errno("process.rlimits[" + std::to_string(i) + "]: setrlimit " + r.name + " (" +
                  std::to_string(r.soft) + ", " + std::to_string(r.hard) + ")");
  }
}

void apply_oom_score_adj(const Process& process, pid_t pid) {
  if (!process.oom_score_adj) return;
  std::string proc = pid == 0 ? std::string("self") : std::to_string(pid);
  try {
    write_existing("/proc/" + proc + "/oom_score_adj", std::to_string(*process.oom_score_adj));
  } catch (const Error& e) {
    throw e.with_context("process.oomScoreAdj");
  }
}

}  // namespace vcrun::security
