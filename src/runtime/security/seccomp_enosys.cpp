// The ENOSYS prologue of a seccomp filter (seccomp_enosys.hpp).
#include "runtime/security/seccomp_enosys.hpp"

#include <linux/audit.h>
#include <linux/seccomp.h>

#include <cerrno>
#include <cstddef>

namespace vcrun::security {

namespace {

constexpr uint32_t kX32SyscallBit = 0x40000000;

sock_filter stmt(uint16_t code, uint32_t k) { return sock_filter{code, 0, 0, k}; }
sock_filter jump(uint16_t code, uint32_t k, size_t jt, size_t jf) {
  return sock_filter{code, static_cast<uint8_t>(jt), static_cast<uint8_t>(jf), k};
}

}  // namespace

std::vector<sock_filter> enosys_prologue(const std::vector<LastSyscall>& archs) {
  if (archs.empty()) return {};
  // Layout: load arch; per arch a block [jeq arch; load nr; (x86_64: jge x32 bit); jgt last];
  // then "ja filter" (an arch not listed) and "ret ENOSYS"; the filter follows. Offsets are
  // relative to the next instruction; blocks are at most 4 instructions, so they fit in 8 bits
  // for any number of architectures libseccomp knows.
  size_t blocks = 0;
  for (const auto& a : archs) blocks += a.audit_arch == AUDIT_ARCH_X86_64 ? 4 : 3;
  const size_t ja_at = 1 + blocks, enosys_at = ja_at + 1, filter_at = enosys_at + 1;
  std::vector<sock_filter> p;
  p.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
  for (const auto& a : archs) {
    bool x86_64 = a.audit_arch == AUDIT_ARCH_X86_64;
    size_t here = p.size(), next_block = here + (x86_64 ? 4 : 3);
    p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, a.audit_arch, 0, next_block - (here + 1)));
    p.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
    if (x86_64) {
      size_t at = p.size();
      p.push_back(jump(BPF_JMP | BPF_JGE | BPF_K, kX32SyscallBit, filter_at - (at + 1), 0));
    }
    size_t at = p.size();
    p.push_back(jump(BPF_JMP | BPF_JGT | BPF_K, a.last_nr, enosys_at - (at + 1), filter_at - (at + 1)));
  }
  p.push_back(stmt(BPF_JMP | BPF_JA, static_cast<uint32_t>(filter_at - (ja_at + 1))));
  p.push_back(stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)));
  return p;
}

}  // namespace vcrun::security
