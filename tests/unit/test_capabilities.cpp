// Unit tests of the capability/identity module: name resolution, the parent-side checks,
// and the exact sets a forked child ends with (read back from /proc/self/status).
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <sstream>

#include "runtime/security/capabilities.hpp"
#include "runtime/security/capability_sets.hpp"
#include "runtime/security/seccomp.hpp"
#include "vcrun/error.hpp"

using namespace vcrun;

namespace {

struct ChildResult {
  int status = 0;
  std::string output;  // what the child wrote to its pipe
};

// Forks; the child runs body(write_fd) and exits with its return value (an exception
// becomes exit 120 with the message on the pipe). No Catch2 macro runs in the child.
ChildResult run_child(const std::function<int(int)>& body) {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    int code = 121;
    try {
      code = body(fds[1]);
    } catch (const std::exception& e) {
      std::string m = std::string("EXCEPTION: ") + e.what();
      (void)!::write(fds[1], m.data(), m.size());
      code = 120;
    }
    ::_exit(code);
  }
  ::close(fds[1]);
  ChildResult r;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) r.output.append(buf, n);
  ::close(fds[0]);
  REQUIRE(::waitpid(pid, &r.status, 0) == pid);
  return r;
}

int exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

void write_all(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n <= 0) return;
    done += n;
  }
}

std::string slurp(const char* path) {
  std::string out;
  FILE* f = std::fopen(path, "re");
  if (!f) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

// "Key:\tvalue" lines of /proc/self/status.
std::map<std::string, std::string> parse_status(const std::string& text) {
  std::map<std::string, std::string> m;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string v = line.substr(colon + 1);
    v.erase(0, v.find_first_not_of(" \t"));
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.pop_back();
    for (auto& c : v)
      if (c == '\t') c = ' ';
    m[line.substr(0, colon)] = v;
  }
  return m;
}

std::string hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

uint64_t bits(std::initializer_list<int> caps) {
  uint64_t m = 0;
  for (int c : caps) m |= 1ULL << c;
  return m;
}

std::string spec_error(const Process& p) {
  try {
    security::check_capabilities(p);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

bool root() { return ::geteuid() == 0; }

}  // namespace

TEST_CASE("capabilities: names resolve to bits, unknown names name the entry", "[unit][caps]") {
  CHECK(security::capability_mask({"CAP_CHOWN", "CAP_KILL", "cap_net_raw"}, "x") ==
        bits({CAP_CHOWN, CAP_KILL, CAP_NET_RAW}));
  try {
    security::capability_mask({"CAP_CHOWN", "CAP_FLY"}, "process.capabilities.bounding");
    FAIL("no error");
  } catch (const SpecError& e) {
    CHECK(std::string(e.what()) ==
          "process.capabilities.bounding[1]: unknown capability \"CAP_FLY\"");
  }
  CHECK(security::last_capability() >= CAP_AUDIT_READ);
}

TEST_CASE("capabilities: inconsistent sets are refused before clone", "[unit][caps]") {
  Process p;
  p.capabilities = Capabilities{.bounding = {"CAP_CHOWN", "CAP_KILL"},
                                .effective = {"CAP_CHOWN", "CAP_KILL"},
                                .inheritable = {},
                                .permitted = {"CAP_CHOWN"},
                                .ambient = {}};
  CHECK(spec_error(p) == "process.capabilities.effective: CAP_KILL is not in the permitted set");

  p.capabilities->effective = {"CAP_CHOWN"};
  p.capabilities->inheritable = {"CAP_NET_ADMIN"};
  CHECK(spec_error(p) ==
        "process.capabilities.inheritable: CAP_NET_ADMIN is not in the bounding set");

  // Ambient beyond permitted ∩ inheritable is what `runc spec` writes: accepted, and the
  // caps the kernel would refuse to raise are left out (with a warning).
  p.capabilities->inheritable = {"CAP_KILL"};
  p.capabilities->ambient = {"CAP_KILL", "CAP_CHOWN"};
  CHECK(spec_error(p) == "(no error)");
  CHECK(security::resolve_capabilities(p).ambient == 0);

  p.capabilities->permitted = {"CAP_CHOWN", "CAP_KILL"};
  CHECK(spec_error(p) == "(no error)");
  p.capabilities.reset();
  CHECK(spec_error(p) == "(no error)");
  // vcrun spec --secure's set: the usual container default.
  Process d = parse_spec(default_spec_json(), "/tmp").process;
  CHECK(spec_error(d) == "(no error)");
  CHECK(d.capabilities->bounding.size() == 14);
}

TEST_CASE("capabilities: a non-root user ends with exactly the requested sets", "[unit][caps]") {
  if (!root()) {
    WARN("SKIP: needs root to switch users");
    return;
  }
  Process p;
  p.user.uid = 1000;
  p.user.gid = 1001;
  p.user.additional_gids = {10, 20};
  p.user.umask = 027;
  p.no_new_privileges = true;
  p.capabilities = Capabilities{};
  p.capabilities->bounding = {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETPCAP"};
  p.capabilities->permitted = {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  p.capabilities->effective = {"CAP_CHOWN", "CAP_KILL"};
  p.capabilities->inheritable = {"CAP_NET_BIND_SERVICE", "CAP_KILL"};
  p.capabilities->ambient = {"CAP_NET_BIND_SERVICE"};
  security::check_capabilities(p);

  auto r = run_child([&](int out) {
    security::apply_identity_and_capabilities(p);
    write_all(out, slurp("/proc/self/status"));
    mode_t old = ::umask(0);
    write_all(out, "Umask2:\t" + std::to_string(old) + "\n");
    write_all(out, "Dumpable:\t" + std::to_string(::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0)) + "\n");
    return 0;
  });
  INFO(r.output);
  REQUIRE(exit_code(r.status) == 0);
  auto st = parse_status(r.output);
  CHECK(st["Uid"] == "1000 1000 1000 1000");
  CHECK(st["Gid"] == "1001 1001 1001 1001");
  CHECK(st["Groups"] == "10 20");
  CHECK(st["CapBnd"] == hex(bits({CAP_CHOWN, CAP_KILL, CAP_NET_BIND_SERVICE, CAP_SETPCAP})));
  CHECK(st["CapPrm"] == hex(bits({CAP_CHOWN, CAP_KILL, CAP_NET_BIND_SERVICE})));
  CHECK(st["CapEff"] == hex(bits({CAP_CHOWN, CAP_KILL})));
  CHECK(st["CapInh"] == hex(bits({CAP_NET_BIND_SERVICE, CAP_KILL})));
  CHECK(st["CapAmb"] == hex(bits({CAP_NET_BIND_SERVICE})));
  CHECK(st["NoNewPrivs"] == "1");
  CHECK(st["Umask2"] == std::to_string(027));
  CHECK(st["Dumpable"] == "0");
}

TEST_CASE("capabilities: after execve a non-root process keeps only ambient", "[unit][caps]") {
  if (!root()) {
    WARN("SKIP: needs root to switch users");
    return;
  }
  Process p;
  p.user.uid = 1000;
  p.user.gid = 1000;
  p.capabilities = Capabilities{};
  p.capabilities->bounding = {"CAP_CHOWN", "CAP_NET_BIND_SERVICE"};
  p.capabilities->permitted = {"CAP_CHOWN", "CAP_NET_BIND_SERVICE"};
  p.capabilities->effective = {"CAP_CHOWN", "CAP_NET_BIND_SERVICE"};
  p.capabilities->inheritable = {"CAP_NET_BIND_SERVICE"};
  p.capabilities->ambient = {"CAP_NET_BIND_SERVICE"};
  auto r = run_child([&](int out) {
    security::apply_identity_and_capabilities(p);
    ::dup2(out, 1);
    ::execl("/bin/cat", "cat", "/proc/self/status", static_cast<char*>(nullptr));
    return 99;
  });
  INFO(r.output);
  REQUIRE(exit_code(r.status) == 0);
  auto st = parse_status(r.output);
  CHECK(st["Uid"] == "1000 1000 1000 1000");
  CHECK(st["Groups"] == "");
  CHECK(st["CapAmb"] == hex(bits({CAP_NET_BIND_SERVICE})));
  CHECK(st["CapPrm"] == hex(bits({CAP_NET_BIND_SERVICE})));
  CHECK(st["CapEff"] == hex(bits({CAP_NET_BIND_SERVICE})));
  CHECK(st["CapBnd"] == hex(bits({CAP_CHOWN, CAP_NET_BIND_SERVICE})));
  CHECK(st["NoNewPrivs"] == "0");
}

TEST_CASE("capabilities: absent capabilities leave root with nothing", "[unit][caps]") {
  if (!root()) {
    WARN("SKIP: needs root to drop the bounding set");
    return;
  }
  Process p;  // uid 0, no capabilities object
  auto r = run_child([&](int out) {
    security::apply_identity_and_capabilities(p);
    write_all(out, slurp("/proc/self/status"));
    return 0;
  });
  INFO(r.output);
  REQUIRE(exit_code(r.status) == 0);
  auto st = parse_status(r.output);
  CHECK(st["Uid"] == "0 0 0 0");
  for (const char* k : {"CapBnd", "CapPrm", "CapEff", "CapInh", "CapAmb"}) {
    CAPTURE(k);
    CHECK(st[k] == hex(0));
  }
}

TEST_CASE("capabilities: seccomp without no_new_privs is loaded before caps are dropped",
          "[unit][caps][seccomp]") {
  if (!root()) {
    WARN("SKIP: needs root to switch users");
    return;
  }
  Seccomp s;
  s.default_action = SeccompAction::allow;
  SeccompRule rule;
  rule.names = {"getppid"};
  rule.action = SeccompAction::errno_ret;
  rule.errno_ret = 77;
  s.syscalls = {rule};
  auto program = security::SeccompProgram::compile(s);
  Process p;
  p.user.uid = 1000;
  p.user.gid = 1000;
  p.no_new_privileges = false;  // the filter needs CAP_SYS_ADMIN, which the spec drops
  p.capabilities = Capabilities{};
  p.capabilities->bounding = p.capabilities->permitted = p.capabilities->effective = {"CAP_KILL"};
  for (bool nnp : {false, true}) {
    p.no_new_privileges = nnp;
    CAPTURE(nnp);
    auto r = run_child([&](int out) {
      security::apply_identity_and_capabilities(p, &program);
      write_all(out, slurp("/proc/self/status"));
      return ::syscall(SYS_getppid) < 0 ? errno : 0;
    });
    INFO(r.output);
    CHECK(exit_code(r.status) == 77);
    auto st = parse_status(r.output);
    CHECK(st["Seccomp"] == "2");
    CHECK(st["CapEff"] == hex(bits({CAP_KILL})));
    CHECK(st["NoNewPrivs"] == (nnp ? "1" : "0"));
  }
}

TEST_CASE("rlimits: applied, and errors name the entry", "[unit][caps]") {
  Process p;
  p.rlimits.push_back(Rlimit{RLIMIT_NOFILE, "RLIMIT_NOFILE", 64, 128});
  auto r = run_child([&](int) {
    security::apply_rlimits(p);
    struct rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    return lim.rlim_cur == 64 && lim.rlim_max == 128 ? 0 : 1;
  });
  CHECK(exit_code(r.status) == 0);

  p.rlimits = {Rlimit{RLIMIT_NOFILE, "RLIMIT_NOFILE", 10, 20},
               Rlimit{RLIMIT_CORE, "RLIMIT_CORE", 9, 3}};
  // In a child: the first entry is applied before the second fails.
  r = run_child([&](int) {
    security::apply_rlimits(p);
    return 0;
  });
  CHECK(exit_code(r.status) == 120);
  CHECK(r.output ==
        "EXCEPTION: process.rlimits[1]: RLIMIT_CORE: soft limit 9 is above the hard limit 3");
}
