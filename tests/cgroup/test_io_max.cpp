// [vm] blockIO.throttleWriteBpsDevice (io.max wbps) holds a container writing flat out to a
// disk within 5 % of the cap, measured from its io.stat over a window while it runs.
// Needs a scratch disk the test may overwrite: tests/vm/run --disk gives the guest one and
// names it in VCRUN_TEST_SCRATCH_DISK; without it the case SKIPs.
#include <chrono>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "cgroup_test_util.hpp"
#include "support/harness.hpp"

using namespace vcrun;
using namespace vcrun::cgtest;
using nlohmann::json;
namespace t = vcrun::test;

TEST_CASE("blockIO.throttleWriteBpsDevice caps a container's writes within 5 %", "[vm]") {
  REQUIRE_CONTROLLER("io");
  auto disk = scratch_disk();
  if (!disk) return;
  const unsigned maj = disk->major, min = disk->minor;
  const std::string& dev = disk->dev;
  constexpr uint64_t cap = 20'000'000;  // bytes/s; the emulated disk takes zeros far faster

  auto id = t::unique_id("iomax");
  // 256 KiB direct writes: ~76 per second at the cap, so a few seconds hold many of them.
  auto config = t::default_config(
      {"/bin/sh", "-c", kQuiet + "exec dd if=/dev/zero of=/dev/scratch bs=256k count=65536 oflag=direct"});
  config["linux"]["devices"] =
      json::array({{{"path", "/dev/scratch"}, {"type", "b"}, {"major", maj}, {"minor", min}}});
  config["linux"]["resources"] = {
      {"devices", json::array({{{"allow", true}, {"type", "b"}, {"major", maj}, {"minor", min},
                                {"access", "rw"}}})},
      {"blockIO", {{"throttleWriteBpsDevice",
                    json::array({{{"major", maj}, {"minor", min}, {"rate", cap}}})}}}};
  auto b = t::make_bundle(id, config);
  auto created = t::run_vcrun({"run", "--detach", "--bundle", b, id});
  INFO(created.err);
  REQUIRE(created.status == 0);
  const std::string cg = cgroup_of(id);
  std::string io_max = read_file(cg + "/io.max");
  // Past the start and the throttle's first slice, then a window of 4 s.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const auto t0 = std::chrono::steady_clock::now();
  const uint64_t b0 = io_written(cg, dev);
  std::this_thread::sleep_for(std::chrono::seconds(4));
  const uint64_t b1 = io_written(cg, dev);
  const auto t1 = std::chrono::steady_clock::now();
  const bool running = t::run_vcrun({"state", id}).out.find("\"running\"") != std::string::npos;
  t::run_vcrun({"delete", "--force", id});

  const double secs = std::chrono::duration<double>(t1 - t0).count();
  const double rate = static_cast<double>(b1 - b0) / secs;
  INFO("io.max: " << io_max << "measured " << rate << " B/s over " << secs << " s, cap " << cap);
  CHECK(io_max.find(dev + " rbps=max wbps=" + std::to_string(cap)) != std::string::npos);
  REQUIRE(running);  // else dd ended inside the window and the rate means nothing
  CHECK(rate >= 0.95 * static_cast<double>(cap));
  CHECK(rate <= 1.05 * static_cast<double>(cap));
}
