// Integration: the CLI behaviours runc's clients rely on (argument passing, kill 0,
// delete --force, run's auto-delete, spec, list/state fields, ps, version, logging).
#include <catch2/catch.hpp>

#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <filesystem>
#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

#include "support/harness.hpp"

using namespace vcrun::test;
using nlohmann::json;

namespace {

using Running = RunningContainer;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("everything after exec's container id is the command", "[integration][cli]") {
  Running c("argv");
  // Bug 9: "-c" was taken as vcrun's --cap.
  auto r = run_vcrun({"exec", c.id, "sh", "-c", "exit 42"});
  INFO(r.err);
  CHECK(r.status == 42);
  r = run_vcrun({"exec", c.id, "ls", "-l", "-d", "/tmp"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out.find("/tmp") != std::string::npos);
  // Options go before the id; after it, even an option-like word belongs to the command.
  r = run_vcrun({"exec", "--cwd", "/tmp", "-e", "A=1", c.id, "sh", "-c", "echo $A $(pwd) \"$@\"",
                 "sh", "--cwd", "/"});
  CHECK(r.out == "1 /tmp --cwd /\n");
  // vcrun's documented `exec ID -- CMD` keeps working.
  CHECK(run_vcrun({"exec", c.id, "--", "sh", "-c", "exit 7"}).status == 7);
  // Quick mode: after "--", the command's own options stay its own.
  r = run_vcrun({"run", "--rm", "--rootfs", busybox_rootfs(), "--", "sh", "-c", "exit 42"});
  CHECK(r.status == 42);
}

TEST_CASE("kill with signal 0 checks that the container's process exists", "[integration][cli]") {
  auto id = unique_id("kill0");
  auto bundle = make_bundle(id, default_config({"sleep", "60"}));
  REQUIRE(run_vcrun_detached({"run", "--detach", id, "--bundle", bundle}).status == 0);
  auto r = run_vcrun({"kill", id, "0"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(json::parse(run_vcrun({"state", id}).out)["status"] == "running");
  // Not a signal: one line naming it, and the container is left alone.
  for (std::string bad : {"1e3", "9 ", "99999999999999999999", "SIGNOPE"}) {
    auto b = run_vcrun({"kill", id, bad});
    CHECK(b.status != 0);
    CHECK(b.err == "vcrun: signal: unknown signal \"" + bad + "\"\n");
  }
  CHECK(json::parse(run_vcrun({"state", id}).out)["status"] == "running");
  REQUIRE(run_vcrun({"kill", id, "KILL"}).status == 0);
  for (int i = 0; i < 100 && json::parse(run_vcrun({"state", id}).out)["status"] != "stopped"; ++i)
    usleep(20000);
  CHECK(run_vcrun({"kill", id, "0"}).status != 0);
  CHECK(run_vcrun({"kill", id, "65"}).status != 0);
  CHECK(run_vcrun({"delete", id}).status == 0);
}

TEST_CASE("delete --force of an unknown id succeeds, plain delete does not", "[integration][cli]") {
  auto id = unique_id("ghost");
  auto r = run_vcrun({"delete", "--force", id});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(run_vcrun({"delete", id}).status != 0);
  // A directory left half-made (killed before its state was written) goes with --force.
  std::filesystem::create_directory(runtime_root() + "/" + id);
  CHECK(run_vcrun({"delete", id}).status != 0);
  CHECK(run_vcrun({"delete", "--force", id}).status == 0);
  CHECK(!std::filesystem::exists(runtime_root() + "/" + id));
}

TEST_CASE("run deletes a bundle's container when it exits unless --keep", "[integration][cli]") {
  auto id = unique_id("autodel");
  auto bundle = make_bundle(id, default_config({"sh", "-c", "exit 3"}));
  CHECK(run_vcrun({"run", id, "--bundle", bundle}).status == 3);
  CHECK(run_vcrun({"state", id}).status != 0);
  CHECK(!std::filesystem::exists(runtime_root() + "/" + id));

  auto r = run_vcrun({"run", "--keep", id, "--bundle", bundle});
  INFO(r.err);
  CHECK(r.status == 3);
  auto st = run_vcrun({"state", id});
  REQUIRE(st.status == 0);
  CHECK(json::parse(st.out)["status"] == "stopped");
  CHECK(run_vcrun({"delete", id}).status == 0);

  // --detach leaves the container to the caller, stopped once its process exits (runc).
  REQUIRE(run_vcrun_detached({"run", "--detach", id, "--bundle", bundle}).status == 0);
  for (int i = 0; i < 100 && json::parse(run_vcrun({"state", id}).out)["status"] != "stopped"; ++i)
    usleep(20000);
  CHECK(json::parse(run_vcrun({"state", id}).out)["status"] == "stopped");
  CHECK(run_vcrun({"delete", id}).status == 0);
  CHECK(run_vcrun({"run", "--keep", "--rm", id, "--bundle", bundle}).err.find("--keep") !=
        std::string::npos);
}

TEST_CASE("spec writes runc's starter spec, --secure vcrun's, and both run", "[integration][cli]") {
  auto spec = json::parse(run_vcrun({"spec", "--stdout"}).out);
  CHECK(spec["process"]["terminal"] == true);
  json caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  for (const char* set : {"bounding", "effective", "permitted"})
    CHECK(spec["process"]["capabilities"][set] == caps);
  CHECK(!spec.contains("vcrun"));
  CHECK(!spec["linux"].contains("seccomp"));
  CHECK(spec["linux"]["resources"]["devices"] == json::parse(R"([{"allow":false,"access":"rwm"}])"));
  CHECK(spec["hostname"] == "vcrun");

  // Where runc is installed, the same document but for the differences spec_default.cpp lists.
  if (access("/usr/sbin/runc", X_OK) == 0) {
    auto dir = work_dir() + "/" + unique_id("runcspec");
    std::filesystem::create_directories(dir);
    REQUIRE(run({"/usr/sbin/runc", "spec", "--bundle", dir}).status == 0);
    auto runc = json::parse(read_text(dir + "/config.json"));
    for (auto* s : {&runc, &spec}) {
      (*s).erase("ociVersion");
      (*s).erase("hostname");
      (*s)["process"]["capabilities"].erase("ambient");
      auto& masked = (*s)["linux"]["maskedPaths"];
      masked.erase(std::remove(masked.begin(), masked.end(), "/sys/devices/virtual/powercap"),
                   masked.end());
      std::sort(masked.begin(), masked.end());
    }
    CHECK(spec.dump(1) == runc.dump(1));
  }

  // On a pure cgroup v2 host (here: cgroup2 over /sys/fs/cgroup in a private mount
  // namespace) both add a cgroup namespace; on a hybrid one, neither.
  auto namespaces_under_cgroup2 = [](const std::string& cmd) {
    auto r = run({"/usr/bin/unshare", "-m", "/bin/sh", "-c",
                  "mount --make-rprivate / && mount -t cgroup2 none /sys/fs/cgroup && " + cmd});
    INFO(r.err);
    REQUIRE(r.status == 0);
    return json::parse(r.out)["linux"]["namespaces"];
  };
  struct statfs fs {};
  bool host_is_cgroup2 = ::statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
  auto v2 = namespaces_under_cgroup2("\"" + vcrun_binary() + "\" spec --stdout");
  CHECK(std::count(v2.begin(), v2.end(), json{{"type", "cgroup"}}) == 1);
  CHECK(std::count(spec["linux"]["namespaces"].begin(), spec["linux"]["namespaces"].end(),
                   json{{"type", "cgroup"}}) == (host_is_cgroup2 ? 1 : 0));
  if (access("/usr/sbin/runc", X_OK) == 0) {
    auto dir = work_dir() + "/" + unique_id("runcspec2");
    std::filesystem::create_directories(dir);
    CHECK(v2 == namespaces_under_cgroup2("/usr/sbin/runc spec --bundle " + dir + " && cat " + dir + "/config.json"));
  }

  auto secure = json::parse(run_vcrun({"spec", "--secure", "--stdout"}).out);
  CHECK(secure["vcrun"]["seccomp"] == "default");
  CHECK(secure["process"]["terminal"] == false);
  CHECK(secure["process"]["capabilities"]["bounding"].size() == 14);

  // The runc-style spec runs as it is apart from its args and the terminal.
  auto id = unique_id("specrun");
  auto dir = work_dir() + "/" + id;
  std::filesystem::create_directories(dir);
  REQUIRE(run_vcrun({"spec", "--bundle", dir}).status == 0);
  CHECK(run_vcrun({"spec", "--bundle", dir}).status != 0);  // never overwrites
  auto written = json::parse(read_text(dir + "/config.json"));
  written["process"]["terminal"] = false;
  written["process"]["args"] = {"sh", "-c", "grep CapEff /proc/self/status; exit 5"};
  auto bundle = make_bundle(id, written);
  auto r = run_vcrun({"run", id, "--bundle", bundle});
  INFO(r.err);
  CHECK(r.status == 5);
  CHECK(r.out == "CapEff:\t0000000020000420\n");  // AUDIT_WRITE, KILL, NET_BIND_SERVICE

  auto rootless = json::parse(run_vcrun({"spec", "--rootless", "--stdout"}).out);
  auto ns = rootless["linux"]["namespaces"];
  CHECK(std::find(ns.begin(), ns.end(), json{{"type", "user"}}) != ns.end());
  CHECK(std::find(ns.begin(), ns.end(), json{{"type", "network"}}) == ns.end());
  CHECK(rootless["linux"]["uidMappings"][0]["hostID"] == geteuid());
  CHECK(!rootless["linux"].contains("resources"));
}

TEST_CASE("list and state carry runc's fields, list -q prints ids", "[integration][cli]") {
  Running c("fields");
  auto st = c.state();
  CHECK(st["owner"] == "root");
  CHECK(st["rootfs"].get<std::string>().ends_with("/rootfs"));
  CHECK(std::regex_match(st["created"].get<std::string>(),
                         std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z)")));
  auto quiet = run_vcrun({"list", "-q"});
  CHECK(("\n" + quiet.out).find("\n" + c.id + "\n") != std::string::npos);
  CHECK(quiet.out.find("running") == std::string::npos);
  auto list = json::parse(run_vcrun({"list", "--format", "json"}).out);
  auto it = std::find_if(list.begin(), list.end(), [&](const json& j) { return j["id"] == c.id; });
  REQUIRE(it != list.end());
  for (const char* key : {"ociVersion", "pid", "status", "bundle", "rootfs", "created"})
    CHECK((*it)[key] == st[key]);
  CHECK((*it)["owner"] == "root");
  auto table = run_vcrun({"list"}).out;
  CHECK(std::regex_search(table, std::regex("^ID +PID +STATUS +BUNDLE +CREATED +OWNER\n")));
  CHECK(std::regex_search(table, std::regex("\n" + c.id + " +" + std::to_string(st["pid"].get<int>()) +
                                            " +running +\\S+ +\\S+ +root\n")));
}

TEST_CASE("ps runs the host's ps and keeps the container's lines", "[integration][cli]") {
  Running c("ps");
  auto pid = std::to_string(c.state()["pid"].get<int>());
  auto r = run_vcrun({"ps", c.id});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(std::regex_search(r.out, std::regex("^UID +PID +PPID .*CMD\n")));
  CHECK(std::regex_search(r.out, std::regex("\nroot +" + pid + " .* sleep 60\n")));
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 2);  // header + sleep, not the host's
  r = run_vcrun({"ps", c.id, "-o", "pid,comm"});
  CHECK(std::regex_match(r.out, std::regex(" *PID COMMAND\n *" + pid + " sleep\n")));
  CHECK(run_vcrun({"ps", "--format", "json", c.id}).out == "[" + pid + "]\n");
  r = run_vcrun({"ps", c.id, "-o", "comm"});
  CHECK(r.status != 0);
  CHECK(r.err.find("PID") != std::string::npos);
}

TEST_CASE("exit statuses as runc's: exec's own failure 255, a bad command line or verb 1", "[integration][cli]") {
  Running c("exitcodes");
  // The command's own status passes through; exec failing itself is 255.
  CHECK(run_vcrun({"exec", c.id, "sh", "-c", "exit 3"}).status == 3);
  CHECK(run_vcrun({"exec", "no-such-" + c.id, "true"}).status == 255);
  CHECK(run_vcrun({"exec", "--pid-file", "/nonexistent-dir-" + c.id + "/pid", c.id, "true"}).status == 255);
  CHECK(run_vcrun({"exec", c.id, "/no-such-command"}).status == 255);
  CHECK(run_vcrun({"pause", c.id}).status == 0);
  auto paused = run_vcrun({"exec", c.id, "true"});
  CHECK(paused.status == 255);
  CHECK(paused.err.find("paused") != std::string::npos);
  CHECK(run_vcrun({"resume", c.id}).status == 0);
  // Parse errors and unknown verbs: 1, never CLI11's own codes; -h does not rescue a typo.
  CHECK(run_vcrun({"run", "--no-such-flag", "x"}).status == 1);
  auto typo = run_vcrun({"strat", "-h"});
  CHECK(typo.status == 1);
  CHECK(typo.err == "vcrun: unknown command \"strat\" (see --help)\n");
  CHECK(run_vcrun({"start", "-h"}).status == 0);
  // --debug exec says what it does, as --debug run does.
  auto debug = run_vcrun({"--debug", "exec", c.id, "true"});
  CHECK(debug.status == 0);
  CHECK(debug.err.find("level=debug msg=\"exec: process ") != std::string::npos);
}

TEST_CASE("the version, --debug and --log-format json lines take runc's forms", "[integration][cli]") {
  for (const char* flag : {"-v", "--version"}) {
    auto v = run_vcrun({flag});
    CHECK(v.status == 0);
    CHECK(std::regex_match(v.out, std::regex("vcrun version \\S+\ncommit: \\S+\nspec: 1\\.\\d+\\.\\d+\n"
                                             "libseccomp: \\d+\\.\\d+\\.\\d+\n")));
  }
  auto id = unique_id("debug");
  auto bundle = make_bundle(id, default_config({"true"}));
  auto r = run_vcrun({"--debug", "run", id, "--bundle", bundle});
  REQUIRE(r.status == 0);
  CHECK(std::regex_search(r.err, std::regex(R"(^time="[0-9T:.-]+Z" level=debug msg=".+"\n)")));
  auto log = work_dir() + "/" + id + ".log";
  run_vcrun({"--debug", "--log", log, "--log-format", "json", "run", id, "--bundle", bundle});
  run_vcrun({"--log", log, "--log-format", "json", "delete", "no-such-" + id});
  std::ifstream in(log);
  int lines = 0;
  std::string last_level;
  for (std::string line; std::getline(in, line); ++lines) {
    auto j = json::parse(line);  // every line is a JSON object
    CHECK(j.contains("msg"));
    CHECK(j.contains("time"));
    last_level = j["level"];
  }
  CHECK(lines > 1);
  CHECK(last_level == "error");  // the failure is in the log, as clients read it
}

TEST_CASE("exec --cgroup starts the process in a sub-cgroup of the container's", "[integration][cli]") {
  Running c("subcg");
  auto cgroup = json::parse(read_text(runtime_root() + "/" + c.id + "/state.json"))["cgroupPath"]
                    .get<std::string>();
  if (cgroup.empty()) {
    WARN("SKIP: the container has no cgroup here");
    return;
  }
  std::filesystem::create_directory(cgroup + "/sub");
  auto r = run_vcrun({"exec", "--cgroup", "sub", c.id, "cat", "/proc/self/cgroup"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out.ends_with("/sub\n"));
  r = run_vcrun({"exec", "--cgroup", "hugetlb,pids:/sub", c.id, "true"});
  CHECK(r.status == 0);
  for (const char* bad : {"../", "sub/../..", "missing", "a:b:c"}) {
    r = run_vcrun({"exec", "--cgroup", bad, c.id, "true"});
    INFO(bad << ": " << r.err);
    CHECK(r.status != 0);
    CHECK(r.err.find("--cgroup") != std::string::npos);
  }
  // The pids of a sub-cgroup are the container's too.
  run_vcrun_detached({"exec", "-d", "--cgroup", "sub", c.id, "sleep", "30"});
  auto pids = json::parse(run_vcrun({"ps", "--format", "json", c.id}).out);
  CHECK(pids.size() == 2);

  // --apparmor / --process-label: treated like process.apparmorProfile / selinuxLabel.
  r = run_vcrun({"exec", "--apparmor", "unconfined", "--process-label", "system_u:system_r:t", c.id,
                 "true"});
  CHECK(r.status == 0);
  CHECK(r.err.find("process.apparmorProfile") != std::string::npos);
  CHECK(r.err.find("process.selinuxLabel") != std::string::npos);
}
