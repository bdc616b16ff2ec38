// [vm] resource control end to end: containers started through the vcrun binary (bundles
// with linux.resources / vcrun fields), outcomes observed inside and from the host.
#include <sys/wait.h>

#include <fstream>
#include <future>
#include <regex>

#include "cgroup/hierarchy.hpp"
#include "cgroup_test_util.hpp"
#include "support/harness.hpp"

using namespace vcrun;
using namespace vcrun::cgtest;
using nlohmann::json;
namespace t = vcrun::test;

namespace {

// A bundle whose process is `sh -c script`, with `resources` (linux.resources) and `ext`
// (the top-level "vcrun" object) merged in.
std::string bundle(const std::string& id, const std::string& script, const json& resources = json(),
                   const json& ext = json()) {
  auto config = t::default_config({"/bin/sh", "-c", script});
  if (!resources.is_null()) config["linux"]["resources"] = resources;
  if (!ext.is_null()) config["vcrun"] = ext;
  return t::make_bundle(id, config);
}

t::Result run_bundle(const std::string& id, const std::string& b, bool detach = false) {
  // --keep: the cases read the cgroup after the process exited (run deletes, as runc's).
  std::vector<std::string> args = {"run", "--keep", "--bundle", b};
  if (detach) args.push_back("--detach");
  args.push_back(id);
  return t::run_vcrun(args);
}

void remove(const std::string& id) { t::run_vcrun({"delete", "--force", id}); }

uint64_t number_after(const std::string& text, const std::string& key) {
  std::smatch m;
  if (std::regex_search(text, m, std::regex(key + "[ =]([0-9]+)"))) return std::stoull(m[1]);
  return 0;
}

bool lifecycle_works() {
  auto r = t::run_vcrun({"run", "--rm", "--rootfs", t::busybox_rootfs(), "--", "/bin/true"});
  return r.status == 0;
}

#define REQUIRE_ROOT_AND_LIFECYCLE()                                                   \
  do {                                                                                 \
    if (!t::is_root()) {                                                               \
      WARN("SKIP: needs root");                                                        \
      return;                                                                          \
    }                                                                                  \
    static bool ok = lifecycle_works();                                                \
    if (!ok) {                                                                         \
      WARN("SKIP: `vcrun run --rm --rootfs <busybox> -- true` does not work yet");     \
      return;                                                                          \
    }                                                                                  \
  } while (0)

}  // namespace

TEST_CASE("vcrun: memory.max OOM-kills the allocating process inside the container only", "[vm]") {
  REQUIRE_CONTROLLER("memory");
  REQUIRE_ROOT_AND_LIFECYCLE();
  auto id = t::unique_id("oom");
  auto b = bundle(id, "dd if=/dev/zero of=/dev/null bs=96M count=1; echo dd-status=$?",
                  {{"memory", {{"limit", 32 << 20}, {"swap", 32 << 20}}}});
  auto r = run_bundle(id, b);
  INFO(r.out << r.err);
  CHECK(r.status == 0);                                     // the container's shell survived
  CHECK(r.out.find("dd-status=137") != std::string::npos);  // dd died of SIGKILL
  CHECK(keyed(cgroup_of(id) + "/memory.events", "oom_kill") >= 1);
  remove(id);
  CHECK(!exists(cgroup_of(id)));
}

TEST_CASE("vcrun: pids.max contains a fork bomb, and the host keeps forking", "[vm]") {
  REQUIRE_CONTROLLER("pids");
  REQUIRE_ROOT_AND_LIFECYCLE();
  auto id = t::unique_id("pids");
  auto b = bundle(id,
                  // The bomb runs in a subshell: busybox sh exits when a fork fails. Only
                  // builtins after it: a full pids budget leaves no fork for $(...).
                  "(i=0; while [ $i -lt 100 ]; do sleep 3 & i=$((i+1)); done) 2>/dev/null; "
                  "read c < /sys/fs/cgroup/pids.current; echo current=$c; "
                  "while read k v; do echo event-$k=$v; done < /sys/fs/cgroup/pids.events",
                  {{"pids", {{"limit", 20}}}});
  auto r = run_bundle(id, b);
  INFO("status " << r.status << "\n" << r.out << r.err);
  REQUIRE(r.out.find("current=") != std::string::npos);
  CHECK(number_after(r.out, "current") <= 20);
  CHECK(number_after(r.out, "event-max") >= 1);
  auto host = t::run({"/bin/sh", "-c", "for i in 1 2 3 4 5 6 7 8; do /bin/true & done; wait; echo forked"});
  CHECK(host.out.find("forked") != std::string::npos);
  remove(id);
}

TEST_CASE("vcrun: cpu.max throttles the container near its cap", "[vm]") {
  REQUIRE_CONTROLLER("cpu");
  REQUIRE_ROOT_AND_LIFECYCLE();
  auto id = t::unique_id("cpumax");
  auto b = bundle(id,
                  "s=$(sed 's/^/start-/' /sys/fs/cgroup/cpu.stat); timeout 3 sh -c 'while :; do :; done'; "
                  "echo \"$s\"; cat /sys/fs/cgroup/cpu.stat",
                  {{"cpu", {{"quota", 20000}, {"period", 100000}}}});
  auto r = run_bundle(id, b);
  INFO(r.out << r.err);
  auto delta = [&](const std::string& key) {
    return static_cast<double>(number_after(r.out, "\n" + key) - number_after(r.out, "start-" + key));
  };
  // In terms of the cgroup's own periods, so a slow or loaded machine (wall time and the
  // guest's clock drift apart under emulation) cannot move the bounds: at most the quota
  // per period it ran in, and the full quota in each period it was throttled in.
  double used = delta("usage_usec"), periods = delta("nr_periods"), throttled = delta("nr_throttled");
  CHECK(throttled > 0);
  CHECK(used <= 20000 * periods * 1.1 + 20000);
  CHECK(used >= 20000 * throttled * 0.7);  // less what other CPUs held back (5 ms slices)
  remove(id);
}

TEST_CASE("vcrun: admission refuses an over-committed reservation and changes nothing", "[vm]") {
  REQUIRE_CONTROLLER("cpu");
  REQUIRE_ROOT_AND_LIFECYCLE();
  auto a = t::unique_id("resA"), bid = t::unique_id("resB");
  auto ra = run_bundle(a, bundle(a, kQuiet + "sleep 60", json(), {{"cpu", {{"reservation", 0.7}}}}), true);
  REQUIRE(ra.status == 0);
  auto rb = run_bundle(bid, bundle(bid, kQuiet + "sleep 60", json(), {{"cpu", {{"reservation", 0.5}}}}), true);
  INFO(rb.err);
  CHECK(rb.status != 0);
  CHECK(rb.err.find("vcrun.cpu.reservation") != std::string::npos);
  CHECK(rb.err.find("must not exceed 1") != std::string::npos);
  CHECK(!exists(cgroup_of(bid)));
  CHECK(read(cgroup_of(a) + "/cpu.weight") == "1250");  // planned, unchanged by the refusal
  remove(a);
  remove(bid);
}

TEST_CASE("vcrun: update changes limits live, with admission", "[vm]") {
  REQUIRE_CONTROLLER("memory");
  REQUIRE_CONTROLLER("pids");
  REQUIRE_CONTROLLER("cpu");
  REQUIRE_ROOT_AND_LIFECYCLE();
  auto id = t::unique_id("upd");
  REQUIRE(run_bundle(id, bundle(id, kQuiet + "sleep 60"), true).status == 0);
  auto u = t::run_vcrun({"update", id, "--memory", "64M", "--pids", "50", "--cpus", "0.5"});
  INFO(u.err);
  CHECK(u.status == 0);
  CHECK(read(cgroup_of(id) + "/memory.max") == std::to_string(64 << 20));
  CHECK(read(cgroup_of(id) + "/pids.max") == "50");
  CHECK(read(cgroup_of(id) + "/cpu.max") == "50000 100000");
  CHECK(t::run_vcrun({"update", id, "--memory", "12Q"}).err.find("--memory") != std::string::npos);
  auto over = t::run_vcrun({"update", id, "--cpu-reserve", "1.5"});
  CHECK(over.status != 0);
  json res = {{"pids", {{"limit", 77}}}};
  auto viajson = t::run_vcrun({"update", id, "--resources", "-"}, res.dump());
  CHECK(viajson.status == 0);
  CHECK(read(cgroup_of(id) + "/pids.max") == "77");
  remove(id);
}

TEST_CASE("vcrun: pause stops progress, resume restarts it", "[vm]") {
  REQUIRE_CONTROLLER("cpu");  // only for a pure v2 host; the freezer itself needs none
  REQUIRE_ROOT_AND_LIFECYCLE();
  auto id = t::unique_id("pause");
  REQUIRE(run_bundle(id, bundle(id, kQuiet + "while :; do :; done"), true).status == 0);
  std::string cg = cgroup_of(id);
  auto usage = [&] { return keyed(cg + "/cpu.stat", "usage_usec"); };
  REQUIRE(t::run_vcrun({"pause", id}).status == 0);
  CHECK(read(cg + "/cgroup.freeze") == "1");
  uint64_t a = usage();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(usage() == a);  // frozen: the counter does not advance
  auto st = t::run_vcrun({"state", id});
  CHECK(st.out.find("paused") != std::string::npos);
  REQUIRE(t::run_vcrun({"resume", id}).status == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(usage() > a + 100000);
  CHECK(t::run_vcrun({"resume", id}).status != 0);  // not paused any more
  remove(id);
  CHECK(!exists(cg));
}

TEST_CASE("vcrun: exec into a paused container is refused, or waits for resume with --ignore-paused",
          "[vm]") {
  REQUIRE_CONTROLLER("cpu");  // only for a pure v2 host; the freezer itself needs none
  REQUIRE_ROOT_AND_LIFECYCLE();
  auto id = t::unique_id("execpause");
  REQUIRE(run_bundle(id, bundle(id, kQuiet + "sleep 1000"), true).status == 0);
  REQUIRE(t::run_vcrun({"pause", id}).status == 0);
  // `timeout`: the exec used to hang in the frozen cgroup (exit 124 then).
  auto vcrun_exec = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {"/usr/bin/timeout", "60", t::vcrun_binary(), "--root", t::runtime_root(), "exec"};
    argv.insert(argv.end(), args.begin(), args.end());
    return t::run(argv);
  };
  auto attempt = std::async(std::launch::async, [&] { return vcrun_exec({id, "--", "/bin/echo", "hi"}); });
  bool returned = attempt.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
  if (!returned) t::run_vcrun({"resume", id});  // the frozen process holds our pipes: let it end
  REQUIRE(returned);
  auto refused = attempt.get();
  INFO(refused.out << refused.err);
  CHECK(refused.status == 255);  // exec failing itself, as runc
  CHECK(refused.err.find("container " + id + " is paused: resume it or pass --ignore-paused") != std::string::npos);
  CHECK(refused.out.empty());
  // --ignore-paused goes on: the process runs once the container is resumed (runc's way).
  auto pending = std::async(std::launch::async, [&] { return vcrun_exec({"--ignore-paused", id, "--", "/bin/echo", "hi"}); });
  CHECK(pending.wait_for(std::chrono::seconds(2)) == std::future_status::timeout);
  REQUIRE(t::run_vcrun({"resume", id}).status == 0);
  auto ran = pending.get();
  INFO(ran.out << ran.err);
  CHECK(ran.status == 0);
  CHECK(ran.out == "hi\n");
  remove(id);
}

TEST_CASE("vcrun: stats reports cpu, memory and pids", "[vm]") {
  REQUIRE_CONTROLLER("memory");
  REQUIRE_ROOT_AND_LIFECYCLE();
  auto id = t::unique_id("stats");
  REQUIRE(run_bundle(id, bundle(id, kQuiet + "while :; do :; done", {{"memory", {{"limit", 256 << 20}}}}), true).status == 0);
  auto r = t::run_vcrun({"stats", id, "--format", "json"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  auto j = json::parse(r.out);
  REQUIRE(j.size() == 1);
  CHECK(j[0]["cpu"]["percent"].get<double>() > 20);
  CHECK(j[0]["memory"]["max"].get<uint64_t>() == 256u << 20);
  CHECK(j[0]["pids"]["current"].get<uint64_t>() >= 1);
  auto table = t::run_vcrun({"stats", id});
  CHECK(table.out.find(id) != std::string::npos);
  remove(id);
}

TEST_CASE("vcrun: device BPF denies a disk node and allows /dev/null", "[vm]") {
  REQUIRE_ROOT_AND_LIFECYCLE();
  auto id = t::unique_id("dev");
  auto config = t::default_config(
      {"/bin/sh", "-c",
       "mknod /dev/sdx b 8 0 || { echo mknod-refused; exit 0; }; "
       "cat /dev/sdx 2>&1 >/dev/null; echo open-status=$?; "
       "echo hi > /dev/null && echo null-ok"});
  for (const char* set : {"bounding", "effective", "permitted"}) config["process"]["capabilities"][set].push_back("CAP_MKNOD");
  auto b = t::make_bundle(id, config);
  auto r = run_bundle(id, b);
  INFO(r.out << r.err);
  if (r.out.find("mknod-refused") != std::string::npos) {
    WARN("SKIP: creating block nodes is refused here (host policy); the guest runs this case");
    remove(id);
    return;
  }
  CHECK(r.out.find("open-status=1") != std::string::npos);
  CHECK(r.out.find("Operation not permitted") != std::string::npos);
  CHECK(r.out.find("null-ok") != std::string::npos);
  remove(id);
}

TEST_CASE("vcrun: a memory limit on a host without the memory controller is refused", "[hybrid]") {
  REQUIRE_ROOT_AND_LIFECYCLE();
  if (have_controller("memory")) {
    WARN("SKIP: the memory controller is available here (it runs on the v1/v2 hybrid host)");
    return;
  }
  auto id = t::unique_id("nomem");
  auto r = run_bundle(id, bundle(id, "true", {{"memory", {{"limit", 64 << 20}}}}));
  CHECK(r.status != 0);
  CHECK(r.err.find("linux.resources.memory.limit: the memory controller is not available in the cgroup v2 "
                   "hierarchy at " + cgroup::cgroup2_mount().mount_point) != std::string::npos);
  CHECK(!exists(cgroup_of(id)));
  remove(id);
}

TEST_CASE("vcrun: cgroup2 without a cgroup namespace shows the hierarchy and keeps its options", "[vm]") {
  REQUIRE_ROOT_AND_LIFECYCLE();
  // The super options of the cgroup2 mount (the hierarchy-wide flags, e.g. nsdelegate).
  auto options = [] {
    std::ifstream in("/proc/self/mountinfo");
    std::string line, mp = cgroup::cgroup2_mount().mount_point;
    while (std::getline(in, line)) {
      auto dash = line.find(" - cgroup2 ");
      if (dash == std::string::npos || line.find(" " + mp + " ") == std::string::npos) continue;
      return line.substr(line.find_last_of(' ') + 1);
    }
    return std::string();
  };
  std::string before = options();
  auto id = t::unique_id("cg2");
  std::string rel = cgroup_of(id).substr(cgroup::cgroup2_mount().mount_point.size());
  auto config = t::default_config({"/bin/sh", "-c",
                                   "test -d /sys/fs/cgroup" + rel + " && echo own-cgroup-visible; "
                                   "mkdir /sys/fs/cgroup/x 2>/dev/null || echo read-only"});
  auto& ns = config["linux"]["namespaces"];
  for (auto it = ns.begin(); it != ns.end();)
    it = (*it)["type"] == "cgroup" ? ns.erase(it) : it + 1;
  auto r = t::run_vcrun({"run", "--rm", "--bundle", t::make_bundle(id, config), id});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "own-cgroup-visible\nread-only\n");
  // A new cgroup2 mount in the initial cgroup namespace would re-apply its own (empty)
  // options to the whole hierarchy: nsdelegate would be gone.
  if (before.find("nsdelegate") == std::string::npos) {
    WARN("SKIP (options half): the cgroup2 hierarchy here is mounted without nsdelegate "
         "(the vm guest mounts it with it), so there is nothing to lose");
    return;
  }
  CHECK(options() == before);
}
