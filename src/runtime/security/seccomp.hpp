// vcrun::security::SeccompProgram: an OCI linux.seccomp section compiled to a BPF program
// in the parent (all errors before anything exists) and loaded in the child before execve.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/fd.hpp"
#include "vcrun/spec.hpp"

namespace vcrun::security {

class SeccompProgram {
 public:
  // Resolves architectures, syscall names, actions and flags with libseccomp and exports
  // the filter as raw BPF. Throws SpecError naming the field ("linux.seccomp.syscalls[3]
  // .names[0]: malformed syscall name ..."). Names unknown to libseccomp on every
  // configured arch are skipped with a warning, as the OCI spec allows (crun does too).
  static SeccompProgram compile(const Seccomp& profile);

  // Installs the filter in the calling thread (all threads with SECCOMP_FILTER_FLAG_TSYNC).
  // Only the seccomp() syscall: safe after fork in a multi-threaded parent. Needs
  // no_new_privs or CAP_SYS_ADMIN in the effective set (the kernel's rule). Returns the
  // listener fd (close-on-exec) when the filter has a notify action, else an empty fd.
  UniqueFd load() const;

  // Whether a rule with SCMP_ACT_NOTIFY made it into the filter: load() then asks the
  // kernel for a listener (SECCOMP_FILTER_FLAG_NEW_LISTENER).
  bool notifies() const { return listener_; }
  // Number of BPF instructions, for logs and tests.
  size_t size() const { return code_.size(); }
  // SECCOMP_FILTER_FLAG_* passed to seccomp(2).
  unsigned flags() const;

  // The compiled form, as the build embeds the built-in profile's (seccomp_builtin.hpp):
  // the instructions, the flags of linux.seccomp.flags, and whether it notifies.
  const std::vector<sock_filter>& code() const { return code_; }
  unsigned requested_flags() const { return flags_; }
  static SeccompProgram from_compiled(std::vector<sock_filter> code, unsigned flags, bool listener);
  // How many syscall names compile() skipped as unknown (it warned about them).
  size_t skipped() const { return skipped_; }

 private:
  std::vector<sock_filter> code_;
  unsigned flags_ = 0;  // from linux.seccomp.flags
  bool listener_ = false;
  size_t skipped_ = 0;
};

// The built-in profile of quick mode and `vcrun spec`: default allow plus a deny list of
// kernel surface a container never needs (see seccomp_profile.cpp for each decision), for
// the running kernel.
Seccomp default_profile();
// The same for a kernel that does or does not (before Linux 4.8) re-run the filter after
// a ptrace tracer changed the syscall: without that recheck ptrace is denied too. The
// build compiles default_profile(true) once (seccomp_builtin.hpp).
Seccomp default_profile(bool rechecks_after_ptrace);
bool kernel_rechecks_seccomp_after_ptrace();

// Names of SCMP_ACT_* actions for messages ("SCMP_ACT_ERRNO").
const char* action_name(SeccompAction a);

// Whether `name` is a linux.seccomp.flags value vcrun accepts ("SECCOMP_FILTER_FLAG_LOG").
bool known_seccomp_flag(const std::string& name);

// For `vcrun features`: the linux.seccomp.flags vcrun accepts, those of them it applies and
// this kernel supports (probed as runc does: seccomp(2) refuses an unknown flag with EINVAL
// before it reads the program, EFAULT for a null one), and the architectures a filter on
// this machine can hold, all in OCI spelling.
struct SeccompFeatures {
  std::vector<std::string> known_flags, supported_flags, archs;
};
SeccompFeatures seccomp_features();

}  // namespace vcrun::security
