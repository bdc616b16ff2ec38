// vcrun::security process credentials: user switch, the five capability sets,
// no_new_privs and rlimits, applied in the container's init just before execve.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "base/fd.hpp"
#include "runtime/security/seccomp.hpp"
#include "vcrun/spec.hpp"

namespace vcrun::security {

// Parent-side check (call before clone, so nothing is created for a spec that cannot be
// applied): capability names the kernel knows, effective ⊆ permitted, inheritable ⊆
// bounding, ambient ⊆ permitted ∩ inheritable. Throws SpecError naming the set.
void check_capabilities(const Process& process);

// Switches to process.user (setgroups additionalGids, setresgid, setresuid, umask) keeping
// capabilities across the switch, then sets bounding, inheritable, permitted, effective
// and ambient exactly as in process.capabilities (absent: all empty), then no_new_privs
// if requested. When `seccomp` is given it is loaded here at the only point that works:
// with noNewPrivileges, last (after no_new_privs); without, after the user switch but
// before capabilities are dropped (loading needs CAP_SYS_ADMIN then). Call it as the last
// step before execve. On return the calling thread has exactly the requested sets; the
// result is the filter's notify listener fd (empty without SCMP_ACT_NOTIFY).
UniqueFd apply_identity_and_capabilities(const Process& process,
                                         const SeccompProgram* seccomp = nullptr);

// setrlimit for each process.rlimits[i]; errors name the entry. Call before the user
// switch (raising a hard limit needs CAP_SYS_RESOURCE).
void apply_rlimits(const Process& process);

// process.oomScoreAdj into /proc/<pid>/oom_score_adj (`pid` 0: this process); errors
// name the field.
void apply_oom_score_adj(const Process& process, pid_t pid);

// Bit mask (bit n = capability n) of a list of "CAP_*" names; unknown names throw
// SpecError(field). Capabilities above the running kernel's cap_last_cap are dropped with
// a warning (a spec written for a newer kernel stays usable).
uint64_t capability_mask(const std::vector<std::string>& names, const std::string& field);

// Highest capability number the running kernel knows (/proc/sys/kernel/cap_last_cap).
unsigned last_capability();
// "CAP_*" names of the capabilities both this kernel and libcap-ng know (`vcrun features`).
std::vector<std::string> known_capabilities();

}  // namespace vcrun::security
