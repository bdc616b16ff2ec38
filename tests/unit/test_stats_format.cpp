// Unit tests: `vcrun stats` output (cmd/vcrun/stats_format), table and JSON, byte for byte.
#include <catch2/catch.hpp>

#include "stats_format.hpp"
#include "vcrun/error.hpp"

using namespace vcrun;
using namespace vcrun::cli;

namespace {

ContainerStats sample() {
  ContainerStats s;
  s.id = "c1";
  s.path = "/sys/fs/cgroup/vcrun/c1";
  s.present = true;
  s.cpu_percent = 12.5;
  s.memory_current = 1 << 20;
  s.pids_current = 3;
  s.pids_max = 64;
  s.throttled_usec = 1500000;
  s.io_devices = {{8, 0, 100, 20, 1, 2}, {8, 16, 5, 1, 1, 1}};
  s.io_read_bytes = 105;
  s.io_write_bytes = 21;
  return s;
}

}  // namespace

TEST_CASE("stats table: one line per container, a dash line for a missing cgroup", "[unit]") {
  CHECK(human_bytes(1536) == "1.5KiB");
  CHECK(human_bytes(1000) == "1000B");
  ContainerStats gone;
  gone.id = "c2";
  CHECK(format_stats({sample(), gone}, "table") ==
        "ID                         CPU %     MEM USAGE / LIMIT        PIDS     IO READ / WRITE  THROTTLED\n"
        "c1                        12.50%          1.0MiB / max        3/64          105B / 21B      1.50s\n"
        "c2                             -                     -           -                   -          -\n");
}

TEST_CASE("stats table: HTB classes follow in a second table", "[unit]") {
  auto s = sample();
  s.network = NetClassStats{"eth0", 0x76630010, 4096, 12, 1, 0};
  CHECK(stats_table({s}).substr(stats_table({sample()}).size()) ==
        "\nID                   EGRESS     CLASS           NET BYTES  NET PACKETS  NET DROPS\n"
        "c1                   eth0       7663:10              4096           12          1\n");
}

TEST_CASE("stats JSON: typed figures, null for max, network only with a class", "[unit]") {
  auto s = sample();
  auto j = stats_json({s});
  CHECK(j[0]["memory"]["max"].is_null());
  CHECK(j[0]["memory"]["current"] == 1 << 20);
  CHECK_FALSE(j[0].contains("network"));
  REQUIRE(j[0]["io"]["devices"].size() == 2);
  CHECK(j[0]["io"]["devices"][1] == nlohmann::json{{"major", 8}, {"minor", 16}, {"read_bytes", 5},
                                                  {"write_bytes", 1}, {"read_ios", 1},
                                                  {"write_ios", 1}});
  s.network = NetClassStats{"eth0", 0x76630010, 4096, 12, 1, 2};
  CHECK(stats_json({s})[0]["network"] ==
        nlohmann::json{{"device", "eth0"}, {"class", "7663:10"}, {"bytes", 4096},
                       {"packets", 12}, {"drops", 1}, {"overlimits", 2}});
  CHECK(format_stats({s}, "json") == stats_json({s}).dump(2) + "\n");
}

TEST_CASE("stats: an unknown format is refused naming --format", "[unit]") {
  try {
    format_stats({}, "yaml");
    FAIL("no error");
  } catch (const SpecError& e) {
    CHECK(std::string(e.what()) == "--format: expected table or json, got \"yaml\"");
  }
}
