// runc's "ENOSYS stub": a classic BPF prologue that answers ENOSYS for syscall numbers
// above the highest one a seccomp profile names, so that a program meeting a syscall
// newer than the profile (clone3 in a profile written before it) falls back as it would
// on an older kernel, instead of failing with the profile's default errno.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <vector>

namespace vcrun::security {

struct LastSyscall {
  uint32_t audit_arch = 0;  // AUDIT_ARCH_* (libseccomp's SCMP_ARCH_* have the same values)
  uint32_t last_nr = 0;     // the highest syscall number the profile names on that arch
};

// The prologue for `archs`, to be put in front of the filter it belongs to: for an arch in
// the list, a number above its last answers ENOSYS and every other call goes on to the
// filter (its first instruction follows the prologue). On x86_64 only the native numbers
// are compared: x32's (__X32_SYSCALL_BIT) go to the filter, which knows whether it allows
// that ABI. Empty list: empty prologue.
std::vector<sock_filter> enosys_prologue(const std::vector<LastSyscall>& archs);

}  // namespace vcrun::security
