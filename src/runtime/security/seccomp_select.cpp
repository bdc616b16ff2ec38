// Which seccomp filter a container gets: its own linux.seccomp, or the built-in profile
// when the "vcrun" extension asks for it (quick mode), or none.
#include "runtime/security/seccomp_select.hpp"

namespace vcrun::security {

std::optional<SeccompProgram> compile_for(const ContainerSpec& spec) {
  if (spec.linux.seccomp) return SeccompProgram::compile(*spec.linux.seccomp);
  if (spec.vcrun.default_seccomp) return SeccompProgram::compile(default_profile());
  return std::nullopt;
}

}  // namespace vcrun::security
