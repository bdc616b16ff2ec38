// default_profile(): vcrun's built-in seccomp profile and the reason for every entry.
//
// Shape: default ALLOW plus a deny list, not Docker's default-ERRNO allow list. Why:
//  - The capability bounding set already gates most dangerous syscalls; seccomp here is
//    the second wall for kernel surface that is reachable *without* capabilities or that
//    is not namespaced (keyrings, bpf, perf, userfaultfd, io_uring, new mount API...).
//  - An allow list must enumerate ~370 syscalls per arch and breaks every program that
//    starts using a syscall newer than the list (clone3, faccessat2, epoll_pwait2,
//    futex_waitv, cachestat...); a deny list degrades the other way round, which is the
//    right failure mode for CI build environments, vcrun's main users.
//  - It is short: libseccomp's binary tree makes it ~10 comparisons per syscall, which
//    keeps the syscall-heavy benchmark within the 3 % target.
// Denied calls return EPERM (what a missing capability returns, so programs already
// handle it) unless noted: ENOSYS where the caller has a fallback for "not implemented".
#include <sys/utsname.h>

#include <cerrno>
#include <cstdio>
#include <sched.h>

#include "runtime/security/seccomp.hpp"

namespace vcrun::security {

namespace {

SeccompRule deny(std::vector<std::string> names, uint32_t err = EPERM) {
  SeccompRule r;
  r.names = std::move(names);
  r.action = SeccompAction::errno_ret;
  r.errno_ret = err;
  return r;
}

// One rule per flag bit: "deny when (arg0 & bit) == bit". Rules on one syscall are ORed,
// so together they deny any call carrying at least one of the bits.
void deny_flag_bits(Seccomp& p, const std::string& name, std::initializer_list<uint64_t> bits) {
  for (uint64_t bit : bits) {
    SeccompRule r = deny({name});
    r.args.push_back(SeccompArg{0, bit, bit, SeccompOp::masked_eq});
    p.syscalls.push_back(std::move(r));
  }
}

}  // namespace

// ptrace can rewrite a tracee's syscall after seccomp checked it; since Linux 4.8 the
// kernel re-runs the filter after the tracer returns, so ptrace no longer bypasses it.
bool kernel_rechecks_seccomp_after_ptrace() {
  struct utsname u{};
  if (::uname(&u) != 0) return false;
  int major = 0, minor = 0;
  if (std::sscanf(u.release, "%d.%d", &major, &minor) != 2) return false;
  return major > 4 || (major == 4 && minor >= 8);
}

Seccomp default_profile() { return default_profile(kernel_rechecks_seccomp_after_ptrace()); }

Seccomp default_profile(bool rechecks_after_ptrace) {
  Seccomp p;
  p.default_action = SeccompAction::allow;
  // The compat ABIs are filtered too: without them a 32-bit syscall (int 0x80) would hit
  // the "bad arch" action and kill 32-bit programs; with them the same deny list applies.
#if defined(__x86_64__)
  p.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
#elif defined(__aarch64__)
  p.architectures = {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"};
#endif
  auto& s = p.syscalls;

  // Loading or replacing kernel code, rebooting. CAP_SYS_MODULE/CAP_SYS_BOOT gate them
  // already; a container granted those caps by mistake must still not load a module.
  s.push_back(deny({"kexec_load", "kexec_file_load", "init_module", "finit_module",
                    "delete_module", "create_module", "get_kernel_syms", "query_module",
                    "reboot"}));

  // Not namespaced and a large, often exploited attack surface reachable without caps
  // (unprivileged bpf, perf with a permissive perf_event_paranoid, userfaultfd as a race
  // widener, keyrings shared by every container of the host).
  s.push_back(deny({"bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key",
                    "request_key", "lookup_dcookie"}));
  // io_uring: the source of many kernel CVEs (Docker, ChromeOS, Android disable it).
  // ENOSYS so liburing/libuv users fall back to ordinary syscalls as on an old kernel.
  s.push_back(deny({"io_uring_setup", "io_uring_enter", "io_uring_register"}, ENOSYS));

  // File handles bypass the mount namespace (the 2014 "shocker" escape):
  // open_by_handle_at opens any inode of a filesystem from inside a bind mount of it.
  s.push_back(deny({"open_by_handle_at", "name_to_handle_at"}));

  // The chroot barrier must not be rebuilt from inside: no mounts, no pivot_root, no new
  // mount API. chroot itself stays allowed (CAP_SYS_CHROOT, builds use it): after
  // pivot_root with the old root detached there is nothing outside to chroot back to.
  s.push_back(deny({"mount", "umount", "umount2", "pivot_root", "move_mount", "fsopen",
                    "fsconfig", "fsmount", "fspick", "open_tree", "mount_setattr"}));

  // New namespaces: a user namespace gives a full capability set over new mount, net...
  // namespaces, the entry point of most container-to-kernel exploits. The container's own
  // namespaces were set up by vcrun; creating more (or joining any) is denied. Threads and
  // fork (clone without CLONE_NEW*) are unaffected.
  deny_flag_bits(p, "unshare",
                 {CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
                  CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWTIME});
  // For clone the low byte is the exit signal, so CLONE_NEWTIME (0x80) is not a flag there.
  deny_flag_bits(p, "clone",
                 {CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
                  CLONE_NEWPID, CLONE_NEWNET});
  // clone3 passes its flags in memory, which seccomp cannot read: ENOSYS makes glibc
  // (pthread_create, posix_spawn) fall back to clone, where the flags are filtered.
  s.push_back(deny({"clone3"}, ENOSYS));
  s.push_back(deny({"setns"}));

  // The host's clock is not namespaced (time namespaces only offset monotonic/boottime).
  // adjtimex/clock_adjtime stay allowed: with modes == 0 they are read-only, glibc's
  // ntp_gettime uses them, and any change needs CAP_SYS_TIME.
  s.push_back(deny({"clock_settime", "settimeofday", "stime"}));

  // Host-wide administration: process accounting, swap, quotas.
  s.push_back(deny({"acct", "swapon", "swapoff", "quotactl", "quotactl_fd"}));

  // Raw hardware access and legacy x86 modes.
  s.push_back(deny({"iopl", "ioperm", "vm86", "vm86old"}));

  // The host's kernel log (addresses, other containers' messages) and tty hang-up.
  s.push_back(deny({"syslog", "vhangup"}));

  // Obsolete interfaces with no legitimate use and a history of bugs.
  s.push_back(deny({"uselib", "nfsservctl", "_sysctl"}));

  if (!rechecks_after_ptrace) s.push_back(deny({"ptrace"}));

  // Deliberately allowed (decisions, not omissions):
  //  - ptrace, process_vm_readv/writev, kcmp, pidfd_getfd on >= 4.8: debuggers and strace
  //    in build containers; the pid namespace hides host processes and the kernel's ptrace
  //    access checks (same uid, caps subset, dumpable) apply.
  //  - personality: a deny rule cannot separate the 0xffffffff query from flag bits; the
  //    risky bits only weaken the caller itself and are cleared on setuid exec.
  //  - mbind, set_mempolicy, migrate_pages, move_pages: NUMA placement of the caller's own
  //    memory; moving another process's pages needs CAP_SYS_NICE.
  //  - chroot, sethostname, setdomainname: harmless in the container's mount/uts namespace.
  return p;
}

}  // namespace vcrun::security
