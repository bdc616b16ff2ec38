// Unit: which devices honour io.weight (iocost enabled, or BFQ) and the warning for a
// weight that none would honour.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cgroup/io_weight.hpp"

using namespace vcrun::cgroup;
namespace fs = std::filesystem;

namespace {

void put(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

}  // namespace

TEST_CASE("devices with iocost enabled or BFQ honour io.weight", "[unit]") {
  fs::path root = fs::temp_directory_path() / ("vcrun-ioweight-" + std::to_string(::getpid()));
  put(root / "cg/io.cost.qos",
      "8:0 enable=1 ctrl=auto rpct=0.00 rlat=250000 wpct=0.00 wlat=250000 min=1.00 max=10000.00\n"
      "8:16 enable=0 ctrl=auto rpct=0.00 rlat=250000 wpct=0.00 wlat=250000 min=1.00 max=10000.00\n");
  put(root / "block/vda/dev", "254:0\n");
  put(root / "block/vda/queue/scheduler", "mq-deadline kyber [bfq] none\n");
  put(root / "block/vdb/dev", "254:16\n");
  put(root / "block/vdb/queue/scheduler", "[mq-deadline] kyber bfq none\n");
  put(root / "block/loop0/dev", "7:0\n");  // no queue/scheduler file: not honouring
  auto devs = weighted_devices((root / "cg").string(), (root / "block").string());
  CHECK(devs == std::set<std::string>{"8:0", "254:0"});
  CHECK(weighted_devices((root / "none").string(), (root / "none").string()).empty());
  fs::remove_all(root);
}

TEST_CASE("a weight no device honours gets one warning naming its field", "[unit]") {
  std::vector<LimitWrite> writes = {
      {"memory.max", "1", "linux.resources.memory.limit", "memory"},
      {"io.weight", "default 500", "linux.resources.blockIO.weight", "io"},
  };
  CHECK(ignored_weight_warning(writes, {}) ==
        "linux.resources.blockIO.weight: no block device has the iocost controller enabled or "
        "BFQ as its scheduler, so the weight has no effect (README: \"IO weights\")");
  CHECK(ignored_weight_warning(writes, {"8:0"}) == "");
  std::vector<LimitWrite> per_device = {
      {"io.weight", "8:16 100", "linux.resources.blockIO.weightDevice[0].weight", "io"}};
  CHECK(ignored_weight_warning(per_device, {"8:0"}) ==
        "linux.resources.blockIO.weightDevice[0].weight: device 8:16 has neither the iocost "
        "controller enabled nor BFQ as its scheduler, so the weight has no effect (README: "
        "\"IO weights\")");
  CHECK(ignored_weight_warning(per_device, {"8:16"}) == "");
  CHECK(ignored_weight_warning({{"memory.max", "1", "x", "memory"}}, {}) == "");
}
