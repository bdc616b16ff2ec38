// [vm] Quick-mode resource flags reach the container's cgroup through vcrun run.
#include <catch2/catch.hpp>

#include "cgroup/hierarchy.hpp"
#include "support/harness.hpp"

using namespace vcrun::test;

TEST_CASE("quick-mode flags set memory.max, pids.max and cpu.max", "[vm]") {
  const auto& root = vcrun::cgroup::cgroup2_mount().mount_point;
  auto have = vcrun::cgroup::controllers_of(root);
  for (const char* c : {"memory", "pids", "cpu"}) {
    if (!have.count(c)) {
      WARN("SKIP: " << c << " controller not available in " << root);
      return;
    }
  }
  // Inside its cgroup namespace the container's own cgroup is /sys/fs/cgroup.
  auto r = run_vcrun({"run", "--rm", "--rootfs", busybox_rootfs(), "--memory", "32M", "--pids",
                      "20", "--cpus", "0.5", "--", "cat", "/sys/fs/cgroup/memory.max",
                      "/sys/fs/cgroup/pids.max", "/sys/fs/cgroup/cpu.max"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out == "33554432\n20\n50000 100000\n");
  auto bad = run_vcrun({"run", "--rm", "--memory", "lots", "--", "true"});
  CHECK(bad.status != 0);
  CHECK(bad.err.find("--memory") != std::string::npos);
}
