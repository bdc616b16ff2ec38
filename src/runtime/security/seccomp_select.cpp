// Which seccomp filter a container gets: its own linux.seccomp, or the built-in profile
// when the "vcrun" extension asks for it (quick mode), or none.
#include "runtime/security/seccomp_select.hpp"

#include <vector>

#include "runtime/security/seccomp_builtin.hpp"

namespace vcrun::security {

std::optional<SeccompProgram> compile_for(const ContainerSpec& spec) {
  if (spec.linux.seccomp) return SeccompProgram::compile(*spec.linux.seccomp);
  if (!spec.vcrun.default_seccomp) return std::nullopt;
  // The build compiled the profile of kernels >= 4.8 (seccomp_builtin.hpp); an older
  // kernel's adds a ptrace rule and is compiled here.
  if (!kernel_rechecks_seccomp_after_ptrace()) return SeccompProgram::compile(default_profile(false));
  const BuiltinSeccomp& b = kBuiltinSeccomp;
  return SeccompProgram::from_compiled(std::vector<sock_filter>(b.code, b.code + b.size),
                                       b.requested_flags, b.notifies);
}

}  // namespace vcrun::security
