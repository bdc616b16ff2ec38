// Integration: the bind allowlist (vcrun.network.bindAllow, --bind-allow) and `--net host`,
// through the real vcrun binary. Each case moves this test process into a network namespace
// of its own (addresses on its loopback), so host-mode containers share that namespace and
// the machine's own interfaces are never touched.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "base/bpf.hpp"
#include "cgroup/hierarchy.hpp"
#include "cgroup/bind_allow.hpp"
#include "support/harness.hpp"
#include "support/netns.hpp"

using namespace vcrun::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const char* const kA4 = "10.213.0.1";
const char* const kB4 = "10.213.0.2";
const char* const kA6 = "fd00:213::1";
const char* const kB6 = "fd00:213::2";

// This process (and so every vcrun it starts) in a fresh network namespace with lo up and
// the test addresses on it; back in the original one at scope exit.
struct TestNetns : PrivateNetns {
  TestNetns()
      : PrivateNetns({std::string(kA4) + "/32", std::string(kB4) + "/32", std::string(kA6) + "/128",
                      std::string(kB6) + "/128"}) {}
};

bool usable(const TestNetns& ns) {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return false;
  }
  if (!fs::exists("/usr/sbin/ip")) {
    WARN("SKIP: needs ip (iproute2) to set up the test network namespace");
    return false;
  }
  REQUIRE(ns.ok);
  return true;
}

// A rootfs (a private busybox copy) holding the bind probe as /bin/bind_probe.
std::string rootfs_with_probe(const std::string& id) {
  std::string rootfs = make_bundle(id, default_config({"true"})) + "/rootfs";
  fs::copy_file(VCRUN_BIND_PROBE, rootfs + "/bin/bind_probe");
  return rootfs;
}

// Quick mode: `vcrun run --rm --rootfs R --net MODE [--bind-allow LIST] -- sh -c SCRIPT`.
Result quick(const std::string& rootfs, const std::string& net, const std::string& allow, const std::string& script) {
  std::vector<std::string> args = {"run", "--rm", "--rootfs", rootfs, "--net", net};
  if (!allow.empty()) args.insert(args.end(), {"--bind-allow", allow});
  args.insert(args.end(), {"--", "/bin/sh", "-c", script});
  return run_vcrun(args);
}

std::string probes(const std::vector<std::string>& targets) {
  std::string script;
  for (const auto& t : targets) script += "/bin/bind_probe " + t + "; ";
  return script;
}

// Kernel ids of the loaded BPF programs whose name starts with "vcrun_bind".
std::set<uint32_t> bind_programs() {
  std::set<uint32_t> ids;
  bpf_attr attr;
  uint32_t id = 0;
  for (;;) {
    std::memset(&attr, 0, sizeof attr);
    attr.start_id = id;
    if (::syscall(SYS_bpf, BPF_PROG_GET_NEXT_ID, &attr, sizeof attr) != 0) break;
    id = attr.next_id;
    if (vcrun::bpf::program_name(id).rfind("vcrun_bind", 0) == 0) ids.insert(id);
  }
  return ids;
}

// The loaded programs named vcrun_bind* that are not in `before`.
std::set<uint32_t> new_programs(const std::set<uint32_t>& before) {
  std::set<uint32_t> out;
  for (uint32_t id : bind_programs())
    if (!before.count(id)) out.insert(id);
  return out;
}

// Waits up to 3 s (a removed cgroup releases its programs asynchronously) until no program
// of `before`'s complement is loaded; returns the ones left.
std::set<uint32_t> leftover_programs(const std::set<uint32_t>& before) {
  std::set<uint32_t> left;
  for (int i = 0; i < 60; ++i) {
    if ((left = new_programs(before)).empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return left;
}

// The programs attached to the cgroup directory itself at the bind hooks.
size_t attached(const std::string& cgroup, bpf_attach_type type) {
  int fd = ::open(cgroup.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  auto q = vcrun::bpf::query(fd, type, 16);
  ::close(fd);
  REQUIRE(q);
  return q->ids.size();
}

std::string cgroup_of(const std::string& id) {
  std::ifstream in(runtime_root() + "/" + id + "/state.json");
  return json::parse(in).value("cgroupPath", "");
}

// A LISTEN socket on addr:port in this namespace's /proc/net/tcp (addr as the kernel
// prints it: the in_addr word in hex).
bool listening(const std::string& hex_addr_port) {
  std::ifstream in("/proc/net/tcp");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string sl, local, remote, state;
    f >> sl >> local >> remote >> state;
    if (local == hex_addr_port && state == "0A") return true;
  }
  return false;
}

}  // namespace

TEST_CASE("host mode with a bind allowlist: listed binds pass, others EPERM, wildcards get the first", "[integration]") {
  TestNetns ns;
  if (!usable(ns)) return;
  auto rootfs = rootfs_with_probe(unique_id("bindq"));
  const std::string script = probes({std::string(kA4) + " 0", std::string(kB4) + " 0", "0.0.0.0 8080",
                                     "127.0.0.1 0", std::string(kA6) + " 0", std::string(kB6) + " 0", ":: 8081",
                                     "::ffff:" + std::string(kA4) + " 0", "::1 0"});
  auto r = quick(rootfs, "host", std::string(kA4) + "," + kA6, script);
  INFO(r.err);
  CHECK(r.out ==
        "bound 10.213.0.1 ephemeral\n"
        "bind: EPERM\n"
        "bound 10.213.0.1 8080\n"
        "bind: EPERM\n"
        "bound fd00:213::1 ephemeral\n"
        "bind: EPERM\n"
        "bound fd00:213::1 8081\n"
        "bound ::ffff:10.213.0.1 ephemeral\n"
        "bind: EPERM\n");

  // The control: the same binds without a list all succeed where they were asked for.
  auto c = quick(rootfs, "host", "", script);
  INFO(c.err);
  CHECK(c.out.find("EPERM") == std::string::npos);
  CHECK(c.out.find("bound 10.213.0.2 ") != std::string::npos);
  CHECK(c.out.find("bound 0.0.0.0 8080\n") != std::string::npos);
  CHECK(c.out.find("bound :: 8081\n") != std::string::npos);

  // --net none (the default) really is another namespace: the test addresses are not there.
  auto n = quick(rootfs, "none", "", probes({std::string(kA4) + " 0"}));
  CHECK(n.out == "bind: EADDRNOTAVAIL\n");
}

TEST_CASE("two host-mode containers listen on port 80 of their own addresses", "[integration]") {
  TestNetns ns;
  if (!usable(ns)) return;
  auto rootfs = rootfs_with_probe(unique_id("bind80"));
  auto a = unique_id("bind80a");
  auto d = run_vcrun_detached({"run", "--detach", "--name", a, "--rootfs", rootfs, "--net", "host", "--bind-allow",
                               kA4, "--", "/bin/bind_probe", "0.0.0.0", "80", "60"});
  INFO(d.err);
  REQUIRE(d.status == 0);
  bool up = false;
  for (int i = 0; i < 100 && !(up = listening("0100D50A:0050")); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(up);  // 10.213.0.1:80, not 0.0.0.0:80

  auto b = quick(rootfs, "host", kB4, probes({"0.0.0.0 80", std::string(kA4) + " 80"}));
  INFO(b.err);
  CHECK(b.out == "bound 10.213.0.2 80\nbind: EPERM\n");
  // The control: without its list, the second container's wildcard bind collides.
  auto c = quick(rootfs, "host", "", probes({"0.0.0.0 80"}));
  CHECK(c.out == "bind: EADDRINUSE\n");
  CHECK(run_vcrun({"delete", "--force", a}).status == 0);
}

TEST_CASE("vcrun update replaces the bind allowlist of a running container", "[integration]") {
  TestNetns ns;
  if (!usable(ns)) return;
  auto rootfs = rootfs_with_probe(unique_id("bindup"));
  auto id = unique_id("bindup");
  auto d = run_vcrun_detached(
      {"run", "--detach", "--name", id, "--rootfs", rootfs, "--net", "host", "--bind-allow", kA4, "--", "sleep", "60"});
  INFO(d.err);
  REQUIRE(d.status == 0);
  auto probe = [&](const char* addr) { return run_vcrun({"exec", id, "/bin/bind_probe", addr, "0"}).out; };
  CHECK(probe(kA4) == "bound 10.213.0.1 ephemeral\n");
  CHECK(probe(kB4) == "bind: EPERM\n");
  std::string cg = cgroup_of(id);
  REQUIRE(!cg.empty());

  auto u = run_vcrun({"update", id, "--bind-allow", std::string(kB4) + "," + kB6});
  INFO(u.err);
  CHECK(u.status == 0);
  CHECK(probe(kB4) == "bound 10.213.0.2 ephemeral\n");
  CHECK(probe(kA4) == "bind: EPERM\n");
  CHECK(probe(kB6) == "bound fd00:213::2 ephemeral\n");
  CHECK(probe("::") == "bound fd00:213::2 ephemeral\n");
  // Replaced in place: one program per hook, not one per update.
  CHECK(attached(cg, BPF_CGROUP_INET4_BIND) == 1);
  CHECK(attached(cg, BPF_CGROUP_INET6_BIND) == 1);

  // A bad list changes nothing and says which flag.
  auto bad = run_vcrun({"update", id, "--bind-allow", std::string(kA4) + ",web"});
  CHECK(bad.status != 0);
  CHECK(bad.err == "vcrun: --bind-allow: expected an IPv4 or IPv6 address, got \"web\"\n");
  CHECK(probe(kB4) == "bound 10.213.0.2 ephemeral\n");
  CHECK(probe(kA4) == "bind: EPERM\n");

  // "none": no address at all.
  CHECK(run_vcrun({"update", id, "--bind-allow", "none"}).status == 0);
  CHECK(probe(kB4) == "bind: EPERM\n");
  CHECK(probe("0.0.0.0") == "bind: EPERM\n");
  CHECK(run_vcrun({"delete", "--force", id}).status == 0);
}

TEST_CASE("no bind allowlist program outlives its container", "[integration]") {
  TestNetns ns;
  if (!usable(ns)) return;
  auto before = bind_programs();
  auto config = default_config({"sleep", "60"});
  config["vcrun"]["network"]["bindAllow"] = {kA4, kA6};

  SECTION("delete") {
    auto id = unique_id("bindrm");
    auto bundle = make_bundle(id, config);
    REQUIRE(run_vcrun_detached({"create", id, "--bundle", bundle}).status == 0);
    CHECK(attached(cgroup_of(id), BPF_CGROUP_INET4_BIND) == 1);
    CHECK(new_programs(before).size() == 7);  // bind, post-bind and sendmsg for both families, sock_create
    CHECK(run_vcrun({"delete", "--force", id}).status == 0);
    CHECK(leftover_programs(before).empty());
  }

  SECTION("a linux.cgroupsPath cgroup that outlives the container loses them") {
    std::string top = "/vcrun-bindtest-" + std::to_string(::getpid());
    std::string dir = vcrun::cgroup::cgroup2_mount().mount_point + top;
    REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
    auto id = unique_id("bindcgp");
    config["linux"]["cgroupsPath"] = top;
    auto bundle = make_bundle(id, config);
    auto r = run_vcrun_detached({"create", id, "--bundle", bundle});
    INFO(r.err);
    CHECK(r.status == 0);
    CHECK(attached(dir, BPF_CGROUP_INET4_BIND) == 1);
    CHECK(attached(dir, BPF_CGROUP_INET6_BIND) == 1);
    CHECK(run_vcrun({"delete", "--force", id}).status == 0);
    CHECK(fs::is_directory(dir));  // kept: it was not vcrun's
    CHECK(attached(dir, BPF_CGROUP_INET4_BIND) == 0);
    CHECK(attached(dir, BPF_CGROUP_INET6_BIND) == 0);
    CHECK(leftover_programs(before).empty());
    ::rmdir(dir.c_str());
  }

  SECTION("SIGKILL of vcrun during create, then delete --force") {
    auto bundle_id = unique_id("bindkill");
    auto bundle = make_bundle(bundle_id, config);
    int orphaned = 0;  // kills that left programs for delete --force to remove
    for (int delay_ms : {0, 2, 5, 10, 20, 40, 80, 300}) {
      auto id = unique_id("bindkill");
      INFO("kill after " << delay_ms << " ms");
      std::vector<std::string> argv = {vcrun_binary(), "--root", runtime_root(), "create", id, "--bundle", bundle};
      pid_t pid = ::fork();
      REQUIRE(pid >= 0);
      if (pid == 0) {
        int null = ::open("/dev/null", O_RDWR);
        ::dup2(null, 0);
        ::dup2(null, 1);
        ::dup2(null, 2);
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        ::_exit(127);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      if (!new_programs(before).empty()) ++orphaned;
      run_vcrun({"delete", "--force", id});
      CHECK(!fs::exists(runtime_root() + "/" + id));
      CHECK(leftover_programs(before).empty());
    }
    CHECK(orphaned > 0);  // the check above saw programs to remove at least once
  }
}

TEST_CASE("a bad bind allowlist is refused in one line naming the field, creating nothing", "[integration]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  auto config = default_config({"true"});
  config["vcrun"]["network"]["bindAllow"] = {kA4, "10.0.0.0/8"};
  auto id = unique_id("bindbad");
  auto r = run_vcrun({"run", "--rm", id, "--bundle", make_bundle(id, config)});
  CHECK(r.status != 0);
  CHECK(r.err == "vcrun: vcrun.network.bindAllow[1]: expected an IPv4 or IPv6 address, got \"10.0.0.0/8\"\n");
  CHECK(!fs::exists(runtime_root() + "/" + id));
  // vcrun/<id> or, with a --root of its own as here, vcrun/<id>@<tag>.
  const std::string parent = vcrun::cgroup::cgroup2_mount().mount_point + "/vcrun";
  if (fs::is_directory(parent))
    for (const auto& e : fs::directory_iterator(parent)) CHECK(e.path().filename().string().rfind(id, 0) != 0);

  config["vcrun"]["network"]["bindAllow"] = "10.0.0.1";
  r = run_vcrun({"run", "--rm", id, "--bundle", make_bundle(unique_id("bindbad"), config)});
  CHECK(r.status != 0);
  CHECK(r.err.rfind("vcrun: vcrun.network.bindAllow: ", 0) == 0);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);

  auto q = run_vcrun({"run", "--rm", "--bind-allow", "1.2.3.4,::,x", "--", "true"});
  CHECK(q.err == "vcrun: --bind-allow: the wildcard address :: cannot be allowed: a bind to it is rewritten to the "
                 "first IPv6 address of the list\n");
  q = run_vcrun({"run", "--rm", "--bind-allow", "", "--", "true"});
  CHECK(q.status != 0);
  CHECK(q.err.find("--bind-allow") != std::string::npos);
  CHECK(std::count(q.err.begin(), q.err.end(), '\n') == 1);
  q = run_vcrun({"run", "--bind-allow", "10.0.0.1", id, "--bundle", make_bundle(unique_id("bindbad"), default_config({"true"}))});
  CHECK(q.err == "vcrun: --bind-allow: is for quick mode (a bundle's config.json says it in vcrun.network.bindAllow)\n");
  q = run_vcrun({"run", "--rm", "--net", "bridge0", "--", "true"});
  CHECK(q.err == "vcrun: --net: expected none, host or bridge, got \"bridge0\"\n");
  CHECK(run_vcrun({"list", "-q"}).out.empty());
}

TEST_CASE("the kernel verifier accepts the bind programs of every list shape", "[integration]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  std::vector<std::string> many;
  for (int i = 0; i < 128; ++i) many.push_back("fd00::" + std::to_string(i + 1));
  for (int i = 0; i < 128; ++i) many.push_back("10.0.0." + std::to_string(i + 1));
  const std::vector<std::vector<std::string>> lists = {
      {}, {"10.0.0.1"}, {"fd00::1"}, {"::ffff:10.0.0.1"}, {"127.0.0.200", "fd00::1", "10.1.2.3"}, many};
  for (const auto& addresses : lists) {
    INFO(addresses.size() << " addresses");
    auto list = vcrun::parse_bind_allow(addresses, "test");
    CHECK_NOTHROW(vcrun::cgroup::load_bind_allow(list, "(test)"));
  }
}
