// Integration: what a container process really sees (pid, uts, mounts, root, exit codes).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <thread>
#include <fstream>

#include "support/harness.hpp"

using namespace vcrun::test;

namespace {

Result run_bundle(const std::string& tag, nlohmann::json config) {
  auto id = unique_id(tag);
  auto bundle = make_bundle(id, config);
  return run_vcrun({"run", "--rm", id, "--bundle", bundle});
}

Result run_sh(const std::string& tag, const std::string& script) {
  return run_bundle(tag, default_config({"sh", "-c", script}));
}

}  // namespace

TEST_CASE("the container process is PID 1 and sees no host process", "[integration]") {
  // The host certainly has a process with pid > 1 (this test); inside only the
  // container's own processes exist: pid 1 (sh) and the ps children.
  auto r = run_sh("pid", "echo self=$$; ls -d /proc/[0-9]* | wc -l; "
                         "test -e /proc/" + std::to_string(::getpid()) + " && echo LEAK; true");
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("self=1\n") != std::string::npos);
  CHECK(r.out.find("LEAK") == std::string::npos);
  // sh, plus the ls and wc of the pipeline: at most 3 pids.
  int count = std::stoi(r.out.substr(r.out.find('\n') + 1));
  CHECK(count <= 3);
}

TEST_CASE("hostname comes from the spec and does not change the host's", "[integration]") {
  char host[256];
  ::gethostname(host, sizeof host);
  // CAP_SYS_ADMIN (granted here) lets the container change its own uts namespace only.
  auto config = default_config({"sh", "-c", "hostname; hostname changed-inside; hostname"});
  for (auto set : {"bounding", "effective", "permitted"})
    config["process"]["capabilities"][set].push_back("CAP_SYS_ADMIN");
  config["hostname"] = "box-under-test";
  auto r = run_bundle("uts", config);
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out == "box-under-test\nchanged-inside\n");
  char after[256];
  ::gethostname(after, sizeof after);
  CHECK(std::string(host) == after);
}

TEST_CASE("spec mounts, masked and readonly paths are in place", "[integration]") {
  auto config = default_config(
      {"sh", "-c",
       "grep -q ' /proc proc ' /proc/mounts && echo proc-ok; "
       "grep -q ' /data tmpfs ' /proc/mounts && echo tmpfs-ok; "
       "wc -c < /etc/hostname; "
       "echo 1 > /proc/sys/kernel/domainname 2>/dev/null || echo sys-ro; "
       "cat /hostdir/marker"});
  auto host_dir = work_dir() + "/bind-src";
  std::filesystem::create_directories(host_dir);
  { std::ofstream(host_dir + "/marker") << "from-host\n"; }
  config["mounts"].push_back({{"destination", "/data"}, {"type", "tmpfs"}, {"source", "tmpfs"},
                              {"options", {"nosuid", "size=1m"}}});
  config["mounts"].push_back({{"destination", "/hostdir"}, {"type", "bind"},
                              {"source", host_dir}, {"options", {"rbind", "ro"}}});
  config["linux"]["maskedPaths"].push_back("/etc/hostname");
  auto r = run_bundle("mounts", config);
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("proc-ok") != std::string::npos);
  CHECK(r.out.find("tmpfs-ok") != std::string::npos);
  CHECK(r.out.find("\n0\n") != std::string::npos);  // /etc/hostname masked: empty
  CHECK(r.out.find("sys-ro") != std::string::npos);
  CHECK(r.out.find("from-host") != std::string::npos);
}

TEST_CASE("a readonly root refuses writes, a writable one accepts them", "[integration]") {
  auto config = default_config({"sh", "-c", "touch /newfile && echo wrote || echo refused"});
  config["root"]["readonly"] = true;
  auto r = run_bundle("ro", config);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("refused") != std::string::npos);
  config["root"]["readonly"] = false;
  r = run_bundle("rw", config);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("wrote") != std::string::npos);
}

TEST_CASE("the old root is detached: host paths are unreachable", "[integration]") {
  auto marker = work_dir() + "/host-only-marker";
  { std::ofstream(marker) << "secret\n"; }
  auto r = run_sh("oldroot", "cat " + marker + " 2>/dev/null || echo absent; "
                             "grep -c . /proc/mounts");
  REQUIRE(r.status == 0);
  CHECK(r.out.find("absent") != std::string::npos);
  CHECK(r.out.find("secret") == std::string::npos);
}

TEST_CASE("exit status and signal deaths are vcrun's exit status", "[integration]") {
  CHECK(run_sh("exit0", "exit 0").status == 0);
  CHECK(run_sh("exit42", "exit 42").status == 42);
  // PID 1 of a namespace ignores signals it has no handler for, even SIGSEGV from inside;
  // with the built-in init the shell is PID 2 and dies of them like anywhere else.
  auto with_init = [](std::vector<std::string> args) {
    auto config = default_config(args);
    config["vcrun"] = {{"init", true}};
    return config;
  };
  CHECK(run_bundle("sigsegv", with_init({"sh", "-c", "kill -SEGV $$"})).status == 128 + 11);
  CHECK(run_bundle("sigterm", with_init({"sh", "-c", "kill -TERM $$"})).status == 128 + 15);
  // A signal sent to vcrun itself is forwarded: SIGKILL from the host kills PID 1.
  auto id = unique_id("fwd");
  auto bundle = make_bundle(id, default_config({"sleep", "30"}));
  auto pending = std::async(std::launch::async, [&] { return run_vcrun({"run", id, "--bundle", bundle}); });
  for (int i = 0; i < 200 && run_vcrun({"state", id}).out.find("running") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(run_vcrun({"kill", id, "KILL"}).status == 0);
  CHECK(pending.get().status == 128 + 9);
  CHECK(run_vcrun({"state", id}).status != 0);  // run deleted it (no --keep)
}

TEST_CASE("a missing executable is reported and fails the run", "[integration]") {
  auto r = run_bundle("noexe", default_config({"/no/such/binary"}));
  CHECK(r.status != 0);
  CHECK(r.err.find("/no/such/binary") != std::string::npos);
}

TEST_CASE("network namespace has only an up loopback", "[integration]") {
  auto r = run_sh("net", "cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '; "
                         "cat /sys/class/net/lo/operstate /sys/class/net/lo/flags");
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.rfind("lo\n", 0) == 0);
  // IFF_UP (0x1) is set on lo.
  auto flags = std::stoul(r.out.substr(r.out.rfind("0x")), nullptr, 16);
  CHECK((flags & 1) == 1);
}

TEST_CASE("a user namespace maps root to an unprivileged host uid", "[integration]") {
  auto config = default_config({"sh", "-c", "id -u; cat /proc/self/uid_map"});
  config["linux"]["namespaces"].push_back({{"type", "user"}});
  config["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  config["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  // sysfs cannot be mounted by a user namespace without its own network namespace
  // owner checks passing; the rootfs files are owned by host root (unmapped): keep it simple.
  auto r = run_bundle("userns", config);
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.rfind("0\n", 0) == 0);
  CHECK(r.out.find("100000") != std::string::npos);
}

TEST_CASE("a namespace given by path is joined, not created", "[integration]") {
  auto a = unique_id("nsowner");
  REQUIRE(run_vcrun_detached({"run", "--detach", a, "--bundle",
                              make_bundle(a, default_config({"sleep", "30"}))})
              .status == 0);
  auto state = nlohmann::json::parse(run_vcrun({"state", a}).out);
  auto pid = std::to_string(state["pid"].get<int>());
  auto owner_net = std::filesystem::read_symlink("/proc/" + pid + "/ns/net").string();
  auto config = default_config({"readlink", "/proc/self/ns/net"});
  for (auto& ns : config["linux"]["namespaces"])
    if (ns["type"] == "network") ns["path"] = "/proc/" + pid + "/ns/net";
  auto r = run_bundle("nsjoin", config);
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == owner_net + "\n");
  CHECK(owner_net != std::filesystem::read_symlink("/proc/self/ns/net").string());
  CHECK(run_vcrun({"delete", "--force", a}).status == 0);
}

TEST_CASE("SysV IPC limits are sysctls of the container's own IPC namespace", "[integration]") {
  auto host = run({"/bin/cat", "/proc/sys/kernel/shmmax", "/proc/sys/kernel/msgmni"});
  auto config = default_config({"cat", "/proc/sys/kernel/shmmax", "/proc/sys/kernel/msgmni"});
  config["linux"]["sysctl"] = {{"kernel.shmmax", "65536"}, {"kernel.msgmni", "7"}};
  auto r = run_bundle("sysv", config);
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out == "65536\n7\n");
  CHECK(run({"/bin/cat", "/proc/sys/kernel/shmmax", "/proc/sys/kernel/msgmni"}).out == host.out);
  // A sysctl of a namespace the container does not own would change the host: refused.
  auto bad = default_config({"true"});
  bad["linux"]["sysctl"] = {{"vm.swappiness", "1"}};
  auto refused = run_bundle("sysvbad", bad);
  CHECK(refused.status != 0);
  CHECK(refused.err.find("linux.sysctl") != std::string::npos);
}
