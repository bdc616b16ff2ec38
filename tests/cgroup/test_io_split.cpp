// [vm] With iocost enabled on a disk, two containers writing to it flat out share it by
// their IO weights (blockIO.weight 1000 vs 100: at least 80:20), and vcrun does not warn.
// Needs a scratch disk the test may overwrite: tests/vm/run --disk gives the guest one
// and names it in VCRUN_TEST_SCRATCH_DISK; without it the case SKIPs.
#include <cstdlib>
#include <sstream>
#include <thread>

#include "cgroup/hierarchy.hpp"
#include "cgroup_test_util.hpp"
#include "support/harness.hpp"

using namespace vcrun;
using namespace vcrun::cgtest;
using nlohmann::json;
namespace t = vcrun::test;

TEST_CASE("blockIO weights 1000 and 100 split a disk at least 80:20 under iocost", "[vm]") {
  REQUIRE_CONTROLLER("io");
  auto disk = scratch_disk();
  if (!disk) return;
  const unsigned maj = disk->major, min = disk->minor;
  const std::string& dev = disk->dev;
  // iocost with a cost model of 100 MB/s and its rate fixed there (min = max = 100 %): the
  // emulated disk is faster, so iocost is what limits the two writers and the split is its
  // weighting, as on a real disk with a model measured for it (iocost_coef_gen).
  const std::string root = cgroup::cgroup2_mount().mount_point;
  write_existing(root + "/io.cost.model", dev + " ctrl=user model=linear rbps=100000000 "
                 "rseqiops=25000 rrandiops=25000 wbps=100000000 wseqiops=25000 wrandiops=25000");
  write_existing(root + "/io.cost.qos", dev + " enable=1 ctrl=user min=100.00 max=100.00");

  std::vector<std::string> ids;
  std::vector<t::Result> created;
  // Regions of 32 GiB each (tests/vm/run --disk 65536; zeros cost the host no space): the
  // guest writes zeros at up to ~4 GB/s, so neither dd reaches the end of its region
  // within the measured window.
  for (auto [tag, weight, seek] : {std::tuple{"heavy", 1000, 0}, std::tuple{"light", 100, 32768}}) {
    auto id = t::unique_id(std::string("io") + tag);
    // Direct writes (no page cache), each container to its own region of the disk.
    auto config = t::default_config(
        {"/bin/sh", "-c",
         kQuiet + "exec dd if=/dev/zero of=/dev/scratch bs=1M count=32768 oflag=direct seek=" +
             std::to_string(seek)});
    config["linux"]["devices"] = json::array(
        {{{"path", "/dev/scratch"}, {"type", "b"}, {"major", maj}, {"minor", min}}});
    config["linux"]["resources"] = {
        {"devices", json::array({{{"allow", true}, {"type", "b"}, {"major", maj}, {"minor", min},
                                  {"access", "rw"}}})},
        {"blockIO", {{"weight", weight}}}};
    auto b = t::make_bundle(id, config);
    created.push_back(t::run_vcrun({"run", "--detach", "--bundle", b, id}));
    ids.push_back(id);
  }
  // The split while both write: the bytes between two samples, both containers running.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  uint64_t heavy0 = io_written(cgroup_of(ids[0]), dev), light0 = io_written(cgroup_of(ids[1]), dev);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  uint64_t heavy = io_written(cgroup_of(ids[0]), dev) - heavy0;
  uint64_t light = io_written(cgroup_of(ids[1]), dev) - light0;
  bool both_running = true;
  for (const auto& id : ids)
    both_running = both_running && t::run_vcrun({"state", id}).out.find("\"running\"") != std::string::npos;
  for (const auto& id : ids) t::run_vcrun({"delete", "--force", id});
  write_existing(root + "/io.cost.qos", dev + " enable=0 ctrl=auto");
  write_existing(root + "/io.cost.model", dev + " ctrl=auto");

  for (const auto& r : created) {
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.err.find("iocost") == std::string::npos);  // the weight takes effect: no warning
  }
  INFO("heavy " << heavy << " B, light " << light << " B");
  REQUIRE(both_running);  // else a dd ended inside the window and the split means nothing
  REQUIRE(heavy + light > 0);
  CHECK(static_cast<double>(heavy) / static_cast<double>(heavy + light) >= 0.8);
}
