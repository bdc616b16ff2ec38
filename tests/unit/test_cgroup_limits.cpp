// Unit tests: OCI/vcrun resources -> cgroup v2 writes, and parsing of mountinfo/cgroup files.
#include <catch2/catch.hpp>

#include "base/fs_util.hpp"
#include "cgroup/hierarchy.hpp"
#include "cgroup/limits.hpp"
#include "vcrun/error.hpp"

using namespace vcrun;
using namespace vcrun::cgroup;

namespace {

std::string value_of(const std::vector<LimitWrite>& w, const std::string& file) {
  std::string out;
  for (const auto& x : w)
    if (x.file == file) out += (out.empty() ? "" : "|") + x.value;
  return out;
}

ContainerSpec with_resources(const Resources& r) {
  ContainerSpec s;
  s.linux.resources = r;
  return s;
}

}  // namespace

TEST_CASE("cpu.shares converts with crun's current curve", "[unit]") {
  CHECK(shares_to_weight(0) == 0);
  CHECK(shares_to_weight(2) == 1);
  CHECK(shares_to_weight(1024) == 100);
  CHECK(shares_to_weight(2048) == 174);  // docs/design.md: 2048 among seven 1024s gets 19.9 %
  CHECK(shares_to_weight(262144) == 10000);
  CHECK(shares_to_weight(512) < 100);
  uint64_t prev = 0;
  for (uint64_t s = 2; s <= 262144; s += 97) {
    uint64_t w = shares_to_weight(s);
    CHECK(w >= prev);
    prev = w;
  }
}

TEST_CASE("blkio weight converts 10..1000 to 1..10000", "[unit]") {
  CHECK(blkio_weight_to_io_weight(10) == 1);
  CHECK(blkio_weight_to_io_weight(1000) == 10000);
  CHECK(blkio_weight_to_io_weight(500) == 1 + 490 * 9999 / 990);
}

TEST_CASE("memory limits map to memory.max/low/swap.max", "[unit]") {
  Resources r;
  r.memory = MemoryResources{};
  r.memory->limit = 512 << 20;
  r.memory->reservation = 128 << 20;
  r.memory->swap = 768 << 20;
  auto w = plan_limits(with_resources(r));
  CHECK(value_of(w, "memory.max") == std::to_string(512 << 20));
  CHECK(value_of(w, "memory.low") == std::to_string(128 << 20));
  CHECK(value_of(w, "memory.swap.max") == std::to_string(256 << 20));
  for (const auto& x : w) CHECK(x.controller == "memory");

  r.memory->swap = -1;
  CHECK(value_of(plan_limits(with_resources(r)), "memory.swap.max") == "max");
  r.memory->limit = -1;
  CHECK(value_of(plan_limits(with_resources(r)), "memory.max") == "max");
  r.memory->limit.reset();
  r.memory->swap = 100;
  CHECK_THROWS_WITH(plan_limits(with_resources(r)), Catch::Contains("linux.resources.memory.swap"));
}

TEST_CASE("v1-only memory knobs are refused, not dropped", "[unit]") {
  Resources r;
  r.memory = MemoryResources{};
  r.memory->swappiness = 10;
  CHECK_THROWS_WITH(plan_limits(with_resources(r)), Catch::Contains("memory.swappiness"));
  r.memory->swappiness.reset();
  r.memory->kernel = 1 << 20;
  CHECK_THROWS_WITH(plan_limits(with_resources(r)), Catch::Contains("memory.kernel"));
}

TEST_CASE("cpu quota/period/burst/cpuset/idle", "[unit]") {
  Resources r;
  r.cpu = CpuResources{};
  r.cpu->quota = 50000;
  r.cpu->period = 100000;
  r.cpu->burst = 10000;
  r.cpu->cpus = "0-1";
  r.cpu->mems = "0";
  r.cpu->shares = 1024;
  auto w = plan_limits(with_resources(r));
  CHECK(value_of(w, "cpu.max") == "50000 100000");
  CHECK(value_of(w, "cpu.max.burst") == "10000");
  CHECK(value_of(w, "cpuset.cpus") == "0-1");
  CHECK(value_of(w, "cpuset.mems") == "0");
  CHECK(value_of(w, "cpu.weight") == "100");

  r.cpu = CpuResources{};
  r.cpu->quota = -1;
  CHECK(value_of(plan_limits(with_resources(r)), "cpu.max") == "max 100000");
  r.cpu->quota.reset();
  r.cpu->period = 20000;
  CHECK(value_of(plan_limits(with_resources(r)), "cpu.max") == "max 20000");
  r.cpu = CpuResources{};
  r.cpu->realtime_runtime = 1000;
  CHECK_THROWS_WITH(plan_limits(with_resources(r)), Catch::Contains("realtimeRuntime"));
}

TEST_CASE("cpu.shares conflicts with the vcrun planner", "[unit]") {
  Resources r;
  r.cpu = CpuResources{};
  r.cpu->shares = 2048;
  auto s = with_resources(r);
  s.vcrun.cpu_reservation = 0.25;
  CHECK_THROWS_WITH(plan_limits(s), Catch::Contains("linux.resources.cpu.shares"));
  CHECK(uses_cpu_planner(s));
}

TEST_CASE("pids, io, hugetlb, vcrun memory, unified", "[unit]") {
  Resources r;
  r.pids_limit = 64;
  r.block_io = BlockIoResources{};
  r.block_io->weight = 500;
  r.block_io->weight_device.push_back({8, 0, 1000, std::nullopt});
  r.block_io->throttle_read_bps.push_back({8, 0, 1048576});
  r.block_io->throttle_write_iops.push_back({8, 16, 100});
  r.hugepage_limits.push_back({"2MB", 4 << 20});
  r.unified["memory.oom.group"] = "1";
  auto s = with_resources(r);
  s.vcrun.memory_high = 256 << 20;
  s.vcrun.memory_min = 64 << 20;
  auto w = plan_limits(s);
  CHECK(value_of(w, "pids.max") == "64");
  CHECK(value_of(w, "io.weight") == "default " + std::to_string(1 + 490 * 9999 / 990) + "|8:0 10000");
  CHECK(value_of(w, "io.bfq.weight") == "default 500|8:0 1000");  // BFQ's file: the OCI weight itself
  CHECK(optional_file("io.bfq.weight"));
  CHECK_FALSE(optional_file("io.weight"));
  CHECK(value_of(w, "io.max") == "8:0 rbps=1048576|8:16 wiops=100");
  CHECK(value_of(w, "hugetlb.2MB.max") == std::to_string(4 << 20));
  CHECK(value_of(w, "memory.high") == std::to_string(256 << 20));
  CHECK(value_of(w, "memory.min") == std::to_string(64 << 20));
  CHECK(value_of(w, "memory.oom.group") == "1");
  CHECK(w.back().file == "memory.oom.group");  // unified refines everything before it

  r.pids_limit = -1;
  CHECK(value_of(plan_limits(with_resources(r)), "pids.max") == "max");
}

TEST_CASE("unified keys must be plain file names", "[unit]") {
  CHECK_NOTHROW(check_unified_key("memory.high"));
  CHECK_THROWS(check_unified_key("../memory.high"));
  CHECK_THROWS(check_unified_key("a/b.c"));
  CHECK_THROWS(check_unified_key("memory..high"));
  CHECK_THROWS(check_unified_key("cgroup.procs"));
  CHECK_THROWS(check_unified_key("nodot"));
  CHECK(controller_of_file("memory.high") == "memory");
  CHECK(controller_of_file("cgroup.max.depth").empty());
}

TEST_CASE("cgroup2 mount is found in mountinfo, hybrid and pure", "[unit]") {
  const std::string hybrid =
      "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
      "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
      "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
  auto m = find_cgroup2_mount(hybrid);
  REQUIRE(m);
  CHECK(m->mount_point == "/sys/fs/cgroup/unified");
  CHECK(m->root == "/");

  const std::string pure =
      "25 20 0:22 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate\n"
      "90 80 0:22 /ctr /mnt/with\\040space rw - cgroup2 cgroup2 rw\n";
  m = find_cgroup2_mount(pure);
  REQUIRE(m);
  CHECK(m->mount_point == "/sys/fs/cgroup");
  CHECK(!find_cgroup2_mount("31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"));
  auto spaced = find_cgroup2_mount("90 80 0:22 / /mnt/with\\040space rw - cgroup2 cgroup2 rw\n");
  REQUIRE(spaced);
  CHECK(spaced->mount_point == "/mnt/with space");
}

TEST_CASE("statmount finds the cgroup2 mount the mountinfo scan finds", "[unit]") {
  auto scanned = find_cgroup2_mount(read_file("/proc/self/mountinfo"));
  REQUIRE(scanned);
  auto direct = statmount_cgroup2(scanned->mount_point.c_str());
  if (!direct) {
    WARN("SKIP: statmount(2) needs Linux 6.8 (the mountinfo scan is used instead)");
    return;
  }
  CHECK(direct->mount_point == scanned->mount_point);
  CHECK(direct->root == scanned->root);
  CHECK(cgroup2_mount().mount_point == scanned->mount_point);
  // Not cgroup2, or not a mount point: the caller falls back to the scan.
  CHECK(!statmount_cgroup2("/proc"));
  CHECK(!statmount_cgroup2((scanned->mount_point + "/..").c_str()));
}

TEST_CASE("own cgroup is parsed", "[unit]") {
  CHECK(own_cgroup_v2_path("4:memory:/x\n0::/user.slice/a.scope\n") == "/user.slice/a.scope");
  CHECK(!own_cgroup_v2_path("4:memory:/x\n"));
}
