// protect_self_exe: the CVE-2019-5736 protection (non-dumpable runtime process).
#include "runtime/security/self_protect.hpp"

#include <sys/prctl.h>

#include "vcrun/error.hpp"

namespace vcrun::security {

void protect_self_exe() {
  // Unlike runc's sealed-memfd re-exec (a full copy of the binary per start), this also
  // hides /proc/<pid>/fd and /proc/<pid>/mem of the runtime, where host fds and memory
  // would otherwise be reachable during `vcrun exec`.
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) throw_errno("prctl(PR_SET_DUMPABLE, 0)");
}

}  // namespace vcrun::security
