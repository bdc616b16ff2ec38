// Unit tests of SeccompProgram (compile errors, every action and operator, flags) and of
// the built-in default profile, each filter loaded in a forked child.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>

#include "base/fd_passing.hpp"
#include "runtime/security/seccomp.hpp"
#include "vcrun/error.hpp"

// Built with AddressSanitizer: GCC says so with __SANITIZE_ADDRESS__, clang 14 only through
// __has_feature.
#if defined(__SANITIZE_ADDRESS__)
#define VCRUN_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VCRUN_TEST_ASAN 1
#endif
#endif
#ifndef VCRUN_TEST_ASAN
#define VCRUN_TEST_ASAN 0
#endif

using namespace vcrun;
using vcrun::security::SeccompProgram;

namespace {

// Runs `body` in a forked child after loading `program` with no_new_privs (so the test
// needs no privilege). Returns the raw wait status; the body's return value is the exit
// code. Catch2 macros are never used in the child.
int run_filtered(const SeccompProgram& program, const std::function<int()>& body) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int code = 100;
    try {
      if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(101);
      program.load();
      code = body();
    } catch (...) {
      code = 102;
    }
    ::_exit(code);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return status;
}

int exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

// errno of a failing call, 0 on success: the child's exit code.
int err_of(long rc) { return rc < 0 ? errno : 0; }

SeccompRule rule(std::vector<std::string> names, SeccompAction action,
                 std::optional<uint32_t> ret = std::nullopt, std::vector<SeccompArg> args = {}) {
  SeccompRule r;
  r.names = std::move(names);
  r.action = action;
  r.errno_ret = ret;
  r.args = std::move(args);
  return r;
}

Seccomp allow_all_but(std::vector<SeccompRule> rules) {
  Seccomp s;
  s.default_action = SeccompAction::allow;
  s.syscalls = std::move(rules);
  return s;
}

std::string compile_error(const Seccomp& s) {
  try {
    SeccompProgram::compile(s);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

long lseek_null(off_t off) {
  int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  long rc = ::lseek(fd, off, SEEK_SET);
  int err = errno;
  ::close(fd);
  errno = err;
  return rc;
}

}  // namespace

TEST_CASE("seccomp: a valid profile compiles to BPF", "[unit][seccomp]") {
  Seccomp s = allow_all_but({rule({"getppid", "kexec_load"}, SeccompAction::errno_ret)});
  s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"};
  s.flags = {"SECCOMP_FILTER_FLAG_LOG"};
  auto p = SeccompProgram::compile(s);
  CHECK(p.size() > 4);
  CHECK(p.flags() != 0);
}

TEST_CASE("seccomp: bad profiles are refused with the field and the reason", "[unit][seccomp]") {
  Seccomp s = allow_all_but({rule({"getpid", "get pid"}, SeccompAction::errno_ret)});
  CHECK(compile_error(s) ==
        "linux.seccomp.syscalls[0].names[1]: malformed syscall name \"get pid\"");

  s = allow_all_but({rule({"getpid"}, SeccompAction::allow), rule({""}, SeccompAction::trap)});
  CHECK(compile_error(s) == "linux.seccomp.syscalls[1].names[0]: malformed syscall name \"\"");

  s = allow_all_but({});
  s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"};
  CHECK(compile_error(s) ==
        "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_VAX\"");

  s = allow_all_but({});
  s.flags = {"SECCOMP_FILTER_FLAG_FAST"};
  CHECK(compile_error(s) ==
        "linux.seccomp.flags[0]: unknown seccomp flag \"SECCOMP_FILTER_FLAG_FAST\"");

  s = allow_all_but({rule({"getpid"}, SeccompAction::errno_ret, 70000)});
  CHECK(compile_error(s) ==
        "linux.seccomp.syscalls[0].action: errnoRet 70000 does not fit in 16 bits");

  s = allow_all_but({rule({"getpid"}, SeccompAction::errno_ret, {}, {{6, 1, 0, SeccompOp::eq}})});
  CHECK(compile_error(s) == "linux.seccomp.syscalls[0].args[0].index: must be between 0 and 5");
}

TEST_CASE("seccomp: unknown syscall names are skipped, rules equal to the default are dropped",
          "[unit][seccomp]") {
  Seccomp s = allow_all_but({rule({"no_such_syscall_xyz", "getppid"}, SeccompAction::errno_ret),
                             rule({"getpid"}, SeccompAction::allow)});
  auto p = SeccompProgram::compile(s);
  int st = run_filtered(p, [] {
    return err_of(::syscall(SYS_getppid)) == EPERM && err_of(::syscall(SYS_getpid)) == 0 ? 0 : 1;
  });
  CHECK(exit_code(st) == 0);
}

TEST_CASE("seccomp: a name repeated in a rule is added once", "[unit][seccomp]") {
  // 30,000 repeats used to be merged into the filter one by one (0.9 s): the program must
  // come out the same as for the names given once.
  std::vector<std::string> once = {"getppid", "getpgrp", "no_such_syscall_xyz"};
  std::vector<std::string> repeated;
  for (int i = 0; i < 10000; ++i) repeated.insert(repeated.end(), once.begin(), once.end());
  auto a = SeccompProgram::compile(allow_all_but({rule(once, SeccompAction::errno_ret)}));
  auto b = SeccompProgram::compile(allow_all_but({rule(repeated, SeccompAction::errno_ret)}));
  CHECK(a.size() == b.size());
  int st = run_filtered(b, [] { return err_of(::syscall(SYS_getppid)) == EPERM ? 0 : 1; });
  CHECK(exit_code(st) == 0);
}

TEST_CASE("seccomp: errno action with EPERM default and errnoRet", "[unit][seccomp]") {
  auto p = SeccompProgram::compile(allow_all_but({
      rule({"getppid"}, SeccompAction::errno_ret),
      rule({"getpgrp"}, SeccompAction::errno_ret, 42),
  }));
  CHECK(exit_code(run_filtered(p, [] { return err_of(::syscall(SYS_getppid)); })) == EPERM);
  CHECK(exit_code(run_filtered(p, [] { return err_of(::syscall(SYS_getpgrp)); })) == 42);
  CHECK(exit_code(run_filtered(p, [] { return err_of(::syscall(SYS_getpid)); })) == 0);
}

TEST_CASE("seccomp: default action errno with defaultErrnoRet, allow list", "[unit][seccomp]") {
  Seccomp s;
  s.default_action = SeccompAction::errno_ret;
  s.default_errno_ret = 38;  // ENOSYS
  s.syscalls = {rule({"exit", "exit_group", "getppid"}, SeccompAction::allow)};
#if VCRUN_TEST_ASAN
  // The sanitizer runtime's own calls on the child's way out must stay possible.
  s.syscalls.push_back(
      rule({"sigaltstack", "gettid", "mmap", "munmap", "write", "madvise"}, SeccompAction::allow));
#endif
  auto p = SeccompProgram::compile(s);
  int st = run_filtered(p, [] {
    bool ok = err_of(::syscall(SYS_getppid)) == 0 && err_of(::syscall(SYS_getpid)) == ENOSYS;
    return ok ? 0 : 1;
  });
  CHECK(exit_code(st) == 0);
}

TEST_CASE("seccomp: kill_process, kill_thread and trap end the child with SIGSYS",
          "[unit][seccomp]") {
  for (auto action : {SeccompAction::kill_process, SeccompAction::kill_thread,
                      SeccompAction::trap}) {
    CAPTURE(security::action_name(action));
    auto p = SeccompProgram::compile(allow_all_but({rule({"getppid"}, action)}));
    int st = run_filtered(p, [] { return static_cast<int>(::syscall(SYS_getppid)) > 0 ? 0 : 3; });
    REQUIRE(WIFSIGNALED(st));
    CHECK(WTERMSIG(st) == SIGSYS);
  }
}

TEST_CASE("seccomp: log and trace actions", "[unit][seccomp]") {
  // SCMP_ACT_LOG allows (and logs). SCMP_ACT_TRACE without a tracer fails with ENOSYS.
  auto p = SeccompProgram::compile(allow_all_but({rule({"getppid"}, SeccompAction::log),
                                                  rule({"getpgrp"}, SeccompAction::trace, 5)}));
  CHECK(exit_code(run_filtered(p, [] { return err_of(::syscall(SYS_getppid)); })) == 0);
  CHECK(exit_code(run_filtered(p, [] { return err_of(::syscall(SYS_getpgrp)); })) == ENOSYS);
}

TEST_CASE("seccomp: argument eq denies only the matching value", "[unit][seccomp]") {
  auto p = SeccompProgram::compile(allow_all_but(
      {rule({"personality"}, SeccompAction::errno_ret, {}, {{0, 0xffffffff, 0, SeccompOp::eq}})}));
  int st = run_filtered(p, [] {
    bool query_denied = err_of(::personality(0xffffffff)) == EPERM;
    bool set_allowed = err_of(::personality(PER_LINUX)) == 0;
    return query_denied && set_allowed ? 0 : 1;
  });
  CHECK(exit_code(st) == 0);
}

TEST_CASE("seccomp: masked_eq uses value as the mask and valueTwo as the datum",
          "[unit][seccomp]") {
  // Deny lseek whose whence has bit 1 set: SEEK_END (2) and SEEK_DATA (3), not SEEK_SET/CUR.
  auto p = SeccompProgram::compile(allow_all_but(
      {rule({"lseek"}, SeccompAction::errno_ret, {}, {{2, 2, 2, SeccompOp::masked_eq}})}));
  int st = run_filtered(p, [] {
    int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    bool ok = err_of(::lseek(fd, 0, SEEK_SET)) == 0 && err_of(::lseek(fd, 0, SEEK_CUR)) == 0 &&
              err_of(::lseek(fd, 0, SEEK_END)) == EPERM;
    return ok ? 0 : 1;
  });
  CHECK(exit_code(st) == 0);
}

TEST_CASE("seccomp: every comparison operator", "[unit][seccomp]") {
  struct Case {
    SeccompOp op;
    off_t denied, allowed;
  };
  // lseek on /dev/null succeeds for any offset: the filter is the only reason to fail.
  const Case cases[] = {
      {SeccompOp::eq, 100, 101}, {SeccompOp::ne, 7, 100}, {SeccompOp::lt, 99, 100},
      {SeccompOp::le, 100, 101}, {SeccompOp::gt, 101, 100}, {SeccompOp::ge, 100, 99},
  };
  for (const auto& c : cases) {
    CAPTURE(static_cast<int>(c.op));
    auto p = SeccompProgram::compile(
        allow_all_but({rule({"lseek"}, SeccompAction::errno_ret, 33, {{1, 100, 0, c.op}})}));
    CHECK(exit_code(run_filtered(p, [&] { return err_of(lseek_null(c.denied)); })) == 33);
    CHECK(exit_code(run_filtered(p, [&] { return err_of(lseek_null(c.allowed)); })) == 0);
  }
}

TEST_CASE("seccomp: two conditions on one argument mean either", "[unit][seccomp]") {
  auto p = SeccompProgram::compile(allow_all_but({rule(
      {"lseek"}, SeccompAction::errno_ret, {},
      {{1, 5, 0, SeccompOp::eq}, {1, 9, 0, SeccompOp::eq}})}));
  int st = run_filtered(p, [] {
    bool ok = err_of(lseek_null(5)) == EPERM && err_of(lseek_null(9)) == EPERM &&
              err_of(lseek_null(7)) == 0;
    return ok ? 0 : 1;
  });
  CHECK(exit_code(st) == 0);
}

TEST_CASE("seccomp: filter flags reach the kernel", "[unit][seccomp]") {
  Seccomp s = allow_all_but({rule({"getppid"}, SeccompAction::errno_ret)});
  s.flags = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
             "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
  auto p = SeccompProgram::compile(s);
  CHECK(exit_code(run_filtered(p, [] { return err_of(::syscall(SYS_getppid)); })) == EPERM);
}

TEST_CASE("seccomp: a notify filter asks for a listener, whose answers reach the caller",
          "[unit][seccomp][notify]") {
  Seccomp s = allow_all_but({rule({"getppid"}, SeccompAction::notify)});
  s.flags = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
  auto p = SeccompProgram::compile(s);
  CHECK(p.notifies());
  // TSYNC with a listener needs TSYNC_ESRCH; WAIT_KILLABLE_RECV is kept with a listener.
  CHECK(p.flags() == (SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_NEW_LISTENER |
                      SECCOMP_FILTER_FLAG_TSYNC_ESRCH | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV));
  s.flags = {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
  s.syscalls[0].action = SeccompAction::errno_ret;
  auto plain = SeccompProgram::compile(s);
  CHECK_FALSE(plain.notifies());
  CHECK(plain.flags() == 0);

  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(sv[0]);
    int code = 100;
    try {
      if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(101);
      UniqueFd listener = p.load();
      if (!listener) ::_exit(103);
      fdpass::send_fd(sv[1], listener.get(), "listener");
      listener.reset();
      code = err_of(::syscall(SYS_getppid));  // answered by the parent below
    } catch (...) {
      code = 102;
    }
    ::_exit(code);
  }
  ::close(sv[1]);
  UniqueFd channel(sv[0]);
  UniqueFd listener = fdpass::receive_fd(channel.get(), "listener");
  seccomp_notif req{};
  REQUIRE(::ioctl(listener.get(), SECCOMP_IOCTL_NOTIF_RECV, &req) == 0);
  CHECK(req.pid == static_cast<uint32_t>(pid));
  CHECK(req.data.nr == SYS_getppid);
  seccomp_notif_resp resp{};
  resp.id = req.id;
  resp.error = -ENOTSUP;
  REQUIRE(::ioctl(listener.get(), SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0);
  int st = 0;
  REQUIRE(::waitpid(pid, &st, 0) == pid);
  CHECK(exit_code(st) == ENOTSUP);
}

TEST_CASE("seccomp: loading without no_new_privs or CAP_SYS_ADMIN says why", "[unit][seccomp]") {
  auto p = SeccompProgram::compile(allow_all_but({rule({"getppid"}, SeccompAction::errno_ret)}));
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // Drop CAP_SYS_ADMIN from the effective set (root: also from the bounding set).
    ::prctl(PR_CAPBSET_DROP, 21, 0, 0, 0);
    if (::setresuid(65534, 65534, 65534) != 0 && ::geteuid() == 0) ::_exit(2);
    try {
      p.load();
    } catch (const Error& e) {
      ::_exit(std::strstr(e.what(), "needs no_new_privs or CAP_SYS_ADMIN") ? 0 : 3);
    }
    ::_exit(4);
  }
  int st = 0;
  ::waitpid(pid, &st, 0);
  CHECK(exit_code(st) == 0);
}

namespace {

void* thread_body(void*) { return reinterpret_cast<void*>(42); }

long raw_clone3(uint64_t flags) {
  clone_args args{};
  args.flags = flags;
  args.exit_signal = SIGCHLD;
  return ::syscall(SYS_clone3, &args, sizeof args);
}

}  // namespace

TEST_CASE("seccomp: the default profile denies kernel surface", "[unit][seccomp]") {
  auto p = SeccompProgram::compile(security::default_profile());
  INFO("default profile: " << p.size() << " BPF instructions");
  auto expect_err = [&](const char* what, int want, std::function<long()> call) {
    CAPTURE(what);
    CHECK(exit_code(run_filtered(p, [&] { return err_of(call()); })) == want);
  };
  expect_err("keyctl", EPERM, [] { return ::syscall(SYS_keyctl, 0, 0, 0, 0, 0); });
  expect_err("add_key", EPERM, [] { return ::syscall(SYS_add_key, "user", "x", "y", 1, 0); });
  expect_err("bpf", EPERM, [] { return ::syscall(SYS_bpf, 0, nullptr, 0); });
  expect_err("perf_event_open", EPERM,
             [] { return ::syscall(SYS_perf_event_open, nullptr, 0, -1, -1, 0); });
  expect_err("unshare(CLONE_NEWUSER)", EPERM, [] { return ::syscall(SYS_unshare, CLONE_NEWUSER); });
  expect_err("unshare(CLONE_NEWNS|CLONE_FS)", EPERM,
             [] { return ::syscall(SYS_unshare, CLONE_NEWNS | CLONE_FS); });
  expect_err("unshare(CLONE_NEWTIME)", EPERM, [] { return ::syscall(SYS_unshare, CLONE_NEWTIME); });
  expect_err("clone(CLONE_NEWUSER)", EPERM,
             [] { return ::syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0); });
  expect_err("clone3", ENOSYS, [] { return raw_clone3(0); });
  expect_err("setns", EPERM, [] { return ::syscall(SYS_setns, 0, 0); });
  expect_err("mount", EPERM, [] { return ::syscall(SYS_mount, "none", "/", "tmpfs", 0, 0); });
  expect_err("umount2", EPERM, [] { return ::syscall(SYS_umount2, "/", 0); });
  expect_err("pivot_root", EPERM, [] { return ::syscall(SYS_pivot_root, "/", "/"); });
  expect_err("open_tree", EPERM, [] { return ::syscall(SYS_open_tree, -1, "/", 0); });
  expect_err("fsopen", EPERM, [] { return ::syscall(SYS_fsopen, "tmpfs", 0); });
  expect_err("kexec_load", EPERM, [] { return ::syscall(SYS_kexec_load, 0, 0, 0, 0); });
  expect_err("init_module", EPERM, [] { return ::syscall(SYS_init_module, nullptr, 0, ""); });
  expect_err("open_by_handle_at", EPERM,
             [] { return ::syscall(SYS_open_by_handle_at, -1, nullptr, 0); });
  expect_err("userfaultfd", EPERM, [] { return ::syscall(SYS_userfaultfd, 0); });
  expect_err("io_uring_setup", ENOSYS, [] { return ::syscall(SYS_io_uring_setup, 1, nullptr); });
  expect_err("clock_settime", EPERM, [] { return ::syscall(SYS_clock_settime, 0, nullptr); });
  expect_err("syslog", EPERM, [] { return ::syscall(SYS_syslog, 10, nullptr, 0); });
  expect_err("swapon", EPERM, [] { return ::syscall(SYS_swapon, "/x", 0); });
}

TEST_CASE("seccomp: the default profile allows fork, threads, exec and unshare(CLONE_FS)",
          "[unit][seccomp]") {
  auto p = SeccompProgram::compile(security::default_profile());
  int st = run_filtered(p, [] {
    pid_t c = ::fork();
    if (c < 0) return 10;
    if (c == 0) ::_exit(7);
    int s = 0;
    if (::waitpid(c, &s, 0) != c || !WIFEXITED(s) || WEXITSTATUS(s) != 7) return 11;
    pthread_t t;  // glibc tries clone3 first, gets ENOSYS and falls back to clone
    void* ret = nullptr;
    if (::pthread_create(&t, nullptr, thread_body, nullptr) != 0) return 12;
    if (::pthread_join(t, &ret) != 0 || ret != reinterpret_cast<void*>(42)) return 13;
    if (::unshare(CLONE_FS | CLONE_FILES) != 0) return 14;
    if (::syscall(SYS_getppid) <= 0) return 15;
    c = ::fork();
    if (c == 0) {
      ::execl("/bin/sh", "sh", "-c", "exit 9", static_cast<char*>(nullptr));
      ::_exit(16);
    }
    if (::waitpid(c, &s, 0) != c || !WIFEXITED(s) || WEXITSTATUS(s) != 9) return 17;
    return 0;
  });
  CHECK(exit_code(st) == 0);
}

#if defined(__x86_64__)
TEST_CASE("seccomp: the default profile also filters 32-bit syscalls (int 0x80)",
          "[unit][seccomp]") {
  auto p = SeccompProgram::compile(security::default_profile());
  int st = run_filtered(p, [] {
    // Without IA32 emulation int 0x80 faults: let SIGSEGV kill the child outright, not
    // Catch's or a sanitizer's handler (inherited from the parent), which would turn the
    // fault into an exit code.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(SIGSEGV, &dfl, nullptr);
    long ret = 0;
    // i386 keyctl is 288; KEYCTL_GET_KEYRING_ID(KEY_SPEC_SESSION_KEYRING) would succeed.
    asm volatile("int $0x80" : "=a"(ret) : "a"(288L), "b"(0L), "c"(-3L), "d"(0L) : "memory");
    return ret == -EPERM ? 0 : 1;
  });
  if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV) {
    WARN("SKIP: the kernel has no IA32 emulation (int 0x80 faults)");
    return;
  }
  CHECK(exit_code(st) == 0);
}
#endif
