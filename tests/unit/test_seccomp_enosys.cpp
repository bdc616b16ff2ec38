// Unit tests: the ENOSYS prologue (runc's stub) of a seccomp filter: its jumps, evaluated
// here, and a compiled profile loaded in a forked child.
#include <catch2/catch.hpp>

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <string>

#include "runtime/security/seccomp.hpp"
#include "runtime/security/seccomp_enosys.hpp"

using namespace vcrun;
using vcrun::security::LastSyscall;
using vcrun::security::SeccompProgram;

namespace {

// Runs the prologue on (arch, nr): "ENOSYS", or "filter" when control reaches the first
// instruction after it; anything else is a broken program.
std::string evaluate(const std::vector<sock_filter>& p, uint32_t arch, uint32_t nr) {
  uint32_t a = 0;
  for (size_t pc = 0, steps = 0; steps < 100; ++steps) {
    if (pc == p.size()) return "filter";
    if (pc > p.size()) return "jumped out";
    const sock_filter& i = p[pc];
    switch (i.code) {
      case BPF_LD | BPF_W | BPF_ABS: a = i.k == 0 ? nr : i.k == 4 ? arch : 0xdead; ++pc; break;
      case BPF_JMP | BPF_JA: pc += 1 + i.k; break;
      case BPF_JMP | BPF_JEQ | BPF_K: pc += 1 + (a == i.k ? i.jt : i.jf); break;
      case BPF_JMP | BPF_JGT | BPF_K: pc += 1 + (a > i.k ? i.jt : i.jf); break;
      case BPF_JMP | BPF_JGE | BPF_K: pc += 1 + (a >= i.k ? i.jt : i.jf); break;
      case BPF_RET | BPF_K:
        return i.k == (SECCOMP_RET_ERRNO | ENOSYS) ? "ENOSYS" : "ret " + std::to_string(i.k);
      default: return "unknown instruction";
    }
  }
  return "loops";
}

// errno of `body`'s one call in a child that loaded `program` (no_new_privs: no privilege
// needed), or 200 + a code when something else went wrong.
int errno_in_child(const SeccompProgram& program, const std::function<long()>& body) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(201);
    try {
      program.load();
    } catch (...) {
      ::_exit(202);
    }
    long rc = body();
    // exit_group itself: a sanitizer's _exit interceptor makes calls (sigaltstack) this
    // deny-by-default filter refuses.
    ::syscall(SYS_exit_group, rc < 0 ? errno : 0);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 300;
}

bool starts_with(const std::vector<sock_filter>& code, const std::vector<sock_filter>& prefix) {
  return code.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), code.begin(), [](const sock_filter& a, const sock_filter& b) {
           return a.code == b.code && a.jt == b.jt && a.jf == b.jf && a.k == b.k;
         });
}

Seccomp deny_by_default(SeccompAction action, std::optional<uint32_t> errno_ret) {
  Seccomp s;
  s.default_action = action;
  s.default_errno_ret = errno_ret;
  SeccompRule allow;
  allow.action = SeccompAction::allow;
  // What the child needs after the filter is in: the highest of them is exit_group.
  allow.names = {"exit_group", "exit", "read", "write", "close", "getpid", "rt_sigreturn", "futex", "brk",
                 "mmap", "munmap"};
  s.syscalls = {allow};
  return s;
}

}  // namespace

TEST_CASE("seccomp ENOSYS prologue: numbers above an arch's last answer ENOSYS, the rest go on",
          "[unit][seccomp]") {
  auto p = security::enosys_prologue({{AUDIT_ARCH_X86_64, 231}, {AUDIT_ARCH_I386, 252}});
  CHECK(evaluate(p, AUDIT_ARCH_X86_64, 231) == "filter");
  CHECK(evaluate(p, AUDIT_ARCH_X86_64, 232) == "ENOSYS");
  CHECK(evaluate(p, AUDIT_ARCH_X86_64, 435) == "ENOSYS");
  CHECK(evaluate(p, AUDIT_ARCH_X86_64, 0) == "filter");
  // x32's numbers carry __X32_SYSCALL_BIT: the filter decides about that ABI.
  CHECK(evaluate(p, AUDIT_ARCH_X86_64, 0x40000000 + 435) == "filter");
  CHECK(evaluate(p, AUDIT_ARCH_I386, 252) == "filter");
  CHECK(evaluate(p, AUDIT_ARCH_I386, 253) == "ENOSYS");
  // An arch the profile does not cover: the filter's bad-arch action, not ENOSYS.
  CHECK(evaluate(p, AUDIT_ARCH_AARCH64, 1000) == "filter");
  CHECK(security::enosys_prologue({}).empty());
}

#if defined(__x86_64__)
TEST_CASE("seccomp: a deny-by-default profile answers ENOSYS for syscalls newer than it names, as runc's",
          "[unit][seccomp]") {
  auto p = SeccompProgram::compile(deny_by_default(SeccompAction::errno_ret, EPERM));
  CHECK(starts_with(p.code(), security::enosys_prologue({{AUDIT_ARCH_X86_64, 231}})));
  // Below the last named syscall (exit_group, 231): the profile's own answer.
  CHECK(errno_in_child(p, [] { return ::syscall(SYS_getppid); }) == EPERM);
  // Above it: "this kernel has no such call", so glibc falls back from clone3 to clone.
  CHECK(errno_in_child(p, [] { return ::syscall(SYS_clone3, nullptr, 0); }) == ENOSYS);
  CHECK(errno_in_child(p, [] { return ::syscall(SYS_getrandom, nullptr, 0, 0); }) == ENOSYS);
  CHECK(errno_in_child(p, [] { return ::syscall(SYS_getpid); }) == 0);

  // A profile whose refusal is ENOSYS already, or that allows by default, gets no prologue.
  auto enosys = SeccompProgram::compile(deny_by_default(SeccompAction::errno_ret, ENOSYS));
  CHECK(errno_in_child(enosys, [] { return ::syscall(SYS_getppid); }) == ENOSYS);
  CHECK(!starts_with(enosys.code(), security::enosys_prologue({{AUDIT_ARCH_X86_64, 231}})));
  Seccomp allow_default = deny_by_default(SeccompAction::allow, std::nullopt);
  allow_default.syscalls[0].action = SeccompAction::errno_ret;
  allow_default.syscalls[0].names = {"getppid"};
  auto allowing = SeccompProgram::compile(allow_default);
  CHECK(!starts_with(allowing.code(), security::enosys_prologue({{AUDIT_ARCH_X86_64, 110}})));
  CHECK(errno_in_child(allowing, [] { return ::syscall(SYS_getppid); }) == EPERM);
  CHECK(errno_in_child(allowing, [] { return ::syscall(SYS_getrandom, nullptr, 0, 0); }) == 0);
}
#endif
