// apply_identity_and_capabilities: the container process's user switch (setgroups,
// setresgid, setresuid) and the ordering around it that leaves exact capability sets.
#include <grp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "base/fs_util.hpp"
#include "runtime/security/capabilities.hpp"
#include "runtime/security/capability_sets.hpp"
#include "vcrun/error.hpp"

namespace vcrun::security {

namespace {

// In a user namespace whose /proc/self/setgroups says "deny" (unprivileged mappings),
// setgroups is impossible; with no additionalGids there is nothing to set, so the
// inherited (unmapped, hence overflow-gid) groups are the best the kernel allows.
bool setgroups_denied() {
  try {
    return read_file("/proc/self/setgroups").rfind("deny", 0) == 0;
  } catch (const std::exception&) {
    return false;
  }
}

void set_groups(const std::vector<uint32_t>& gids) {
  std::vector<gid_t> list(gids.begin(), gids.end());
  if (::setgroups(list.size(), list.data()) == 0) return;
  int err = errno;
  if (err == EPERM && list.empty() && setgroups_denied()) return;
  throw_errno("process.user.additionalGids: setgroups", err);
}

void switch_user(const User& u) {
  // Keep the permitted set across the uid change (0 -> non-0 clears it otherwise); the
  // final sets are written explicitly afterwards, so nothing survives by accident.
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) throw_errno("prctl(PR_SET_KEEPCAPS)");
  set_groups(u.additional_gids);
  if (::setresgid(u.gid, u.gid, u.gid) != 0)
    throw_errno("process.user.gid: setresgid(" + std::to_string(u.gid) + ")");
  if (::setresuid(u.uid, u.uid, u.uid) != 0)
    throw_errno("process.user.uid: setresuid(" + std::to_string(u.uid) + ")");
  if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) throw_errno("prctl(PR_SET_KEEPCAPS)");
  // A credential change resets "dumpable" to fs.suid_dumpable, which is 1 on some hosts:
  // the runtime image must stay non-dumpable until execve (see self_protect.hpp).
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) throw_errno("prctl(PR_SET_DUMPABLE)");
  if (u.umask) ::umask(static_cast<mode_t>(*u.umask));
}

}  // namespace

UniqueFd apply_identity_and_capabilities(const Process& process, const SeccompProgram* seccomp) {
  UniqueFd listener;
  CapabilitySets sets = resolve_capabilities(process);
  switch_user(process.user);
  // After 0 -> non-0 the effective set is empty; the steps below need CAP_SETPCAP (and
  // CAP_SYS_ADMIN for a filter without no_new_privs) from the kept permitted set.
  raise_effective_to_permitted();
  if (seccomp && !process.no_new_privileges) listener = seccomp->load();
  apply_capability_sets(sets);
  if (process.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    throw_errno("process.noNewPrivileges: prctl(PR_SET_NO_NEW_PRIVS)");
  // With no_new_privs the filter goes last, so it also covers everything above.
  if (seccomp && process.no_new_privileges) listener = seccomp->load();
  return listener;
}

}  // namespace vcrun::security
