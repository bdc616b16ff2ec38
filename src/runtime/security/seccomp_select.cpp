// Which seccomp filter a container gets: its own linux.seccomp, or the built-in profile
// when the "vcrun" extension asks for it (quick mode), or none.
#include "runtime/security/seccomp_select.hpp"

#include "runtime/security/seccomp_cache.hpp"

namespace vcrun::security {

std::optional<SeccompProgram> compile_for(const ContainerSpec& spec, const std::string& cache_dir) {
  if (spec.linux.seccomp) return SeccompProgram::compile(*spec.linux.seccomp);
  if (!spec.vcrun.default_seccomp) return std::nullopt;
  // The built-in profile is the same for every quick container of this binary and kernel.
  if (!cache_dir.empty()) return compile_cached(default_profile(), cache_dir);
  return SeccompProgram::compile(default_profile());
}

}  // namespace vcrun::security
