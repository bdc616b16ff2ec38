// [vm] runc's `update` flags reach the cgroup files, and `vcrun events` reports the real
// figures and OOM kills, through the vcrun binary.
#include <cmath>
#include <sstream>

#include "cgroup/hierarchy.hpp"
#include "cgroup/io_weight.hpp"
#include "cgroup_test_util.hpp"
#include "support/harness.hpp"

using namespace vcrun;
using namespace vcrun::cgtest;
using nlohmann::json;
namespace t = vcrun::test;

namespace {

std::string detached(const std::string& id, const std::string& script, const json& resources = json()) {
  auto config = t::default_config({"/bin/sh", "-c", script});
  if (!resources.is_null()) config["linux"]["resources"] = resources;
  auto b = t::make_bundle(id, config);
  auto r = t::run_vcrun({"run", "--detach", "--bundle", b, id});
  INFO(r.err);
  REQUIRE(r.status == 0);
  return b;
}

void remove(const std::string& id) { t::run_vcrun({"delete", "--force", id}); }

t::Result update(const std::string& id, std::vector<std::string> flags) {
  flags.insert(flags.begin(), {"update", id});
  return t::run_vcrun(flags);
}

// runc/crun's current cpu.shares -> cpu.weight curve, written out independently here.
uint64_t weight_for_shares(double shares) {
  double l = std::log2(shares);
  return static_cast<uint64_t>(std::ceil(std::pow(10.0, (l * l + 125 * l) / 612.0 - 7.0 / 34.0)));
}

std::vector<json> json_lines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(json::parse(line));
  return out;
}

}  // namespace

TEST_CASE("update: runc's flags land in the cgroup v2 files", "[vm]") {
  for (const char* c : {"cpu", "memory", "pids", "cpuset"}) REQUIRE_CONTROLLER(c);
  auto id = t::unique_id("rupd");
  detached(id, kQuiet + "sleep 120");
  const std::string cg = cgroup_of(id);

  auto u = update(id, {"--cpu-share", "512", "--cpu-quota", "20000", "--cpu-period", "50000", "--pids-limit", "40",
                       "--memory", "64M", "--memory-reservation", "16M", "--memory-swap", "96M", "--cpuset-cpus",
                       "0", "--cpuset-mems", "0"});
  INFO(u.err);
  REQUIRE(u.status == 0);
  CHECK(read(cg + "/cpu.weight") == std::to_string(weight_for_shares(512)));
  CHECK(read(cg + "/cpu.max") == "20000 50000");
  CHECK(read(cg + "/pids.max") == "40");
  CHECK(read(cg + "/memory.max") == std::to_string(64 << 20));
  CHECK(read(cg + "/memory.low") == std::to_string(16 << 20));
  CHECK(read(cg + "/memory.swap.max") == std::to_string(32 << 20));  // OCI swap is memory + swap
  CHECK(read(cg + "/cpuset.cpus") == "0");
  CHECK(read(cg + "/cpuset.mems") == "0");

  // A lone quota keeps the period; a lone swap limit counts against the current memory.max.
  REQUIRE(update(id, {"--cpu-quota", "30000"}).status == 0);
  CHECK(read(cg + "/cpu.max") == "30000 50000");
  REQUIRE(update(id, {"--memory-swap", "128M"}).status == 0);
  CHECK(read(cg + "/memory.swap.max") == std::to_string(64 << 20));

  // create's validation, naming the flag, and nothing changes.
  auto bad = update(id, {"--memory", "32M", "--memory-reservation", "48M"});
  CHECK(bad.status != 0);
  CHECK(bad.err.find("--memory-reservation") != std::string::npos);
  CHECK(read(cg + "/memory.max") == std::to_string(64 << 20));

  if (exists(cg + "/io.weight") || exists(cg + "/io.bfq.weight") || have_controller("io")) {
    auto io = update(id, {"--blkio-weight", "500"});
    INFO(io.err);
    CHECK(io.status == 0);
    // blkio 10..1000 -> io.weight 1..10000 (runc's linear conversion): 500 -> 4950.
    CHECK(read(cg + "/io.weight").find("default " + std::to_string(1 + (500 - 10) * 9999 / 990)) == 0);
    // BFQ reads its own file (where the kernel has BFQ): the OCI weight as it is.
    if (exists(cg + "/io.bfq.weight")) CHECK(read(cg + "/io.bfq.weight").find("default 500") == 0);
    // The weight takes effect only on a device with iocost or BFQ (the guests have none):
    // vcrun says so, naming the flag's field.
    bool honoured = !cgroup::weighted_devices(cgroup::cgroup2_mount().mount_point).empty();
    CHECK((io.err.find("linux.resources.blockIO.weight: no block device has the iocost controller") !=
           std::string::npos) == !honoured);
  } else {
    WARN("SKIP: io controller not available; --blkio-weight not checked");
  }
  remove(id);
}

TEST_CASE("events --stats prints runc's stats with the cgroup's real figures", "[vm]") {
  for (const char* c : {"memory", "pids"}) REQUIRE_CONTROLLER(c);
  auto id = t::unique_id("evstats");
  detached(id, kQuiet + "sleep 300 & sleep 300 & i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; exec sleep 300",
           {{"memory", {{"limit", 64 << 20}}}, {"pids", {{"limit", 50}}}});
  std::this_thread::sleep_for(std::chrono::seconds(2));
  auto r = t::run_vcrun({"events", "--stats", id});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  auto lines = json_lines(r.out);
  REQUIRE(lines.size() == 1);
  const auto& e = lines[0];
  CHECK(e["type"] == "stats");
  CHECK(e["id"] == id);
  const auto& d = e["data"];
  CHECK(d["pids"]["current"].get<uint64_t>() == std::stoull(read(cgroup_of(id) + "/pids.current")));
  CHECK(d["pids"]["current"].get<uint64_t>() >= 3);
  CHECK(d["pids"]["limit"].get<uint64_t>() == 50);
  CHECK(d["memory"]["usage"]["usage"].get<uint64_t>() > 0);
  CHECK(d["memory"]["usage"]["limit"].get<uint64_t>() == 64u << 20);
  CHECK(d["cpu"]["usage"]["total"].get<uint64_t>() > 0);
  CHECK(d["memory"]["raw"].contains("anon"));
  remove(id);
  CHECK(t::run_vcrun({"events", "--stats", id}).status != 0);  // gone
}

TEST_CASE("events streams stats and an oom event, and ends with the container", "[vm]") {
  REQUIRE_CONTROLLER("memory");
  auto id = t::unique_id("evoom");
  // The hog waits for /tmp/go (created from the host once events runs), is OOM-killed
  // under memory.max, and the container exits 2 s later.
  auto b = detached(id, kQuiet + "while [ ! -e /tmp/go ]; do sleep 0.2; done; tail /dev/zero; sleep 2",
                    {{"memory", {{"limit", 32 << 20}, {"swap", 32 << 20}}}});
  std::string out = t::work_dir() + "/" + id + ".events";
  auto r = t::run({"/bin/sh", "-c",
                   "timeout 120 " + t::vcrun_binary() + " --root " + t::runtime_root() + " events --interval 1s " + id +
                       " > " + out + " & sleep 3; touch " + b + "/rootfs/tmp/go; wait $!; echo rc=$?"});
  INFO(r.out << r.err);
  CHECK(r.out == "rc=0\n");  // ended by itself when the container stopped, not by timeout
  auto lines = json_lines(read_file(out));
  size_t stats = 0, ooms = 0;
  for (const auto& e : lines) {
    CHECK(e["id"] == id);
    if (e["type"] == "stats") ++stats;
    if (e["type"] == "oom") ++ooms;
  }
  CHECK(stats >= 2);
  CHECK(ooms >= 1);
  if (exists(cgroup_of(id) + "/memory.events"))  // one event per kill
    CHECK(keyed(cgroup_of(id) + "/memory.events", "oom_kill") == ooms);
  remove(id);
}
