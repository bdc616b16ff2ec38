// Unit tests: quick-mode resource flags, cgroup stats parsing, the monitor's controller step.
#include <catch2/catch.hpp>

#include "cgroup/cpu_monitor.hpp"
#include "cgroup/flat_keyed.hpp"
#include "cgroup/stats.hpp"
#include "runtime/spec/resource_flags.hpp"
#include "vcrun/error.hpp"

using namespace vcrun;
using namespace vcrun::cgroup;

TEST_CASE("sizes parse with binary units and clear errors", "[unit]") {
  CHECK(parse_size("--memory", "512M") == 512LL << 20);
  CHECK(parse_size("--memory", "1G") == 1LL << 30);
  CHECK(parse_size("--memory", "1.5g") == 3LL << 29);
  CHECK(parse_size("--memory", "64k") == 64LL << 10);
  CHECK(parse_size("--memory", "4096") == 4096);
  CHECK(parse_size("--memory", "2GiB") == 2LL << 30);
  CHECK(parse_size("--memory", "100MB") == 100LL << 20);
  CHECK(parse_size("--memory", "max") == -1);
  CHECK_THROWS_WITH(parse_size("--memory", "12Q"), Catch::Contains("--memory") && Catch::Contains("unit"));
  CHECK_THROWS_WITH(parse_size("--memory", "M"), Catch::Contains("--memory"));
  CHECK_THROWS_WITH(parse_size("--memory", ""), Catch::Contains("--memory"));
}

TEST_CASE("quick flags fill the spec", "[unit]") {
  ResourceFlags f;
  f.cpu_reserve = "0.25";
  f.cpu_fair_share = "2";
  f.cpus = "1.5";
  f.cpuset = "0-1";
  f.memory = "512M";
  f.memory_reserve = "128M";
  f.pids = "256";
  f.io_weight = "200";
  ContainerSpec s;
  apply_resource_flags(s, f);
  CHECK(*s.vcrun.cpu_reservation == Approx(0.25));
  CHECK(*s.vcrun.cpu_share == Approx(2));
  REQUIRE(s.linux.resources);
  CHECK(*s.linux.resources->cpu->quota == 150000);
  CHECK(*s.linux.resources->cpu->period == 100000);
  CHECK(s.linux.resources->cpu->cpus == "0-1");
  CHECK(*s.linux.resources->memory->limit == 512LL << 20);
  CHECK(*s.linux.resources->memory->reservation == 128LL << 20);
  CHECK(*s.linux.resources->pids_limit == 256);
  CHECK(*s.linux.resources->block_io->weight == 200);
  CHECK(!f.empty());
  CHECK(ResourceFlags{}.empty());
}

TEST_CASE("runc's update flags fill the spec with runc's meanings", "[unit]") {
  ResourceFlags f;
  f.cpu_shares = "512";
  f.cpu_quota = "20000";
  f.cpu_period = "50000";
  f.cpuset_cpus = "0";
  f.cpuset_mems = "0";
  f.memory = "64M";
  f.memory_reservation = "32M";
  f.memory_swap = "96M";
  f.pids_limit = "40";
  f.blkio_weight = "300";
  ContainerSpec s;
  apply_resource_flags(s, f);
  REQUIRE(s.linux.resources);
  const auto& r = *s.linux.resources;
  CHECK(*r.cpu->shares == 512);
  CHECK(*r.cpu->quota == 20000);
  CHECK(*r.cpu->period == 50000);
  CHECK(r.cpu->cpus == "0");
  CHECK(r.cpu->mems == "0");
  CHECK(*r.memory->limit == 64LL << 20);
  CHECK(*r.memory->reservation == 32LL << 20);
  CHECK(*r.memory->swap == 96LL << 20);
  CHECK(*r.pids_limit == 40);
  CHECK(*r.block_io->weight == 300);
  CHECK_FALSE(s.vcrun.cpu_share);  // runc's --cpu-share is not vcrun's fair share
  ResourceFlags unlimited;
  unlimited.cpu_quota = "-1";
  unlimited.memory_swap = "-1";
  ContainerSpec u;
  apply_resource_flags(u, unlimited);
  CHECK(*u.linux.resources->cpu->quota == -1);
  CHECK(*u.linux.resources->memory->swap == -1);
}

TEST_CASE("quick flags refuse bad values naming the flag's own member, or the field validation judged", "[unit]") {
  // A malformed value names ResourceFlags' member (one flag each); a value out of create's
  // range the spec field. The CLI names the flag instead (test_flag_fields.cpp).
  auto fails = [](auto set, const char* field) {
    ResourceFlags f;
    set(f);
    ContainerSpec s;
    CHECK_THROWS_WITH(apply_resource_flags(s, f), Catch::StartsWith(std::string(field) + ": "));
  };
  fails([](auto& f) { f.cpu_reserve = "1.5"; }, "ResourceFlags.cpu_reserve");
  fails([](auto& f) { f.cpu_reserve = "abc"; }, "ResourceFlags.cpu_reserve");
  fails([](auto& f) { f.cpu_fair_share = "-1"; }, "ResourceFlags.cpu_fair_share");
  // Create's range checks (validate_resources).
  fails([](auto& f) { f.memory = "64M", f.memory_reserve = "128M"; }, "linux.resources.memory.reservation");
  fails([](auto& f) { f.memory = "64M", f.memory_swap = "32M"; }, "linux.resources.memory.swap");
  fails([](auto& f) { f.cpu_shares = "1"; }, "linux.resources.cpu.shares");
  fails([](auto& f) { f.cpu_shares = "300000"; }, "ResourceFlags.cpu_shares");
  fails([](auto& f) { f.cpu_quota = "500"; }, "linux.resources.cpu.quota");
  fails([](auto& f) { f.cpu_period = "100"; }, "linux.resources.cpu.period");
  fails([](auto& f) { f.pids_limit = "-5"; }, "ResourceFlags.pids_limit");
  fails([](auto& f) { f.blkio_weight = "1001"; }, "ResourceFlags.blkio_weight");
  fails([](auto& f) { f.cpus = "0"; }, "ResourceFlags.cpus");
  fails([](auto& f) { f.cpuset = "0;1"; }, "ResourceFlags.cpuset");
  fails([](auto& f) { f.cpuset = "3-1"; }, "ResourceFlags.cpuset");
  fails([](auto& f) { f.cpuset_cpus = "1-"; }, "ResourceFlags.cpuset_cpus");
  fails([](auto& f) { f.cpuset_mems = "0,,1"; }, "ResourceFlags.cpuset_mems");
  fails([](auto& f) { f.memory = "0"; }, "ResourceFlags.memory");
  fails([](auto& f) { f.pids = "ten"; }, "ResourceFlags.pids");
  fails([](auto& f) { f.io_weight = "5"; }, "ResourceFlags.io_weight");
  ResourceFlags ok;
  ok.cpu_reserve = "0.25";
  ContainerSpec s;
  CHECK_NOTHROW(apply_resource_flags(s, ok));
}

TEST_CASE("cgroup stat files parse", "[unit]") {
  auto cpu = parse_flat_keyed("usage_usec 1500\nuser_usec 1000\nnr_throttled 7\nthrottled_usec 900\n");
  CHECK(cpu["usage_usec"] == 1500);
  CHECK(cpu["nr_throttled"] == 7);
  auto io = parse_io_stat("8:0 rbytes=100 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n"
                          "8:16 rbytes=5 wbytes=1 rios=1 wios=1 dbytes=0 dios=0\n");
  REQUIRE(io.size() == 2);
  CHECK(io[0].major == 8);
  CHECK(io[0].minor == 0);
  CHECK(io[0].read_bytes == 100);
  CHECK(io[0].write_bytes == 20);
  CHECK(io[0].write_ios == 2);
  CHECK(io[1].minor == 16);
  CHECK(io[1].read_bytes == 5);
  CHECK(parse_single_value("max\n") == std::nullopt);
  CHECK(parse_single_value("4096\n") == 4096u);
}

TEST_CASE("the monitor's controller raises a starved weight and winds down", "[unit]") {
  double integral = 0;
  double up = controller_step(0.02, integral);  // 2 pp below target
  CHECK(up > 0);
  double more = controller_step(0.02, integral);
  CHECK(more > up);  // integral action keeps pushing while the error persists
  double integral2 = 0;
  for (int i = 0; i < 10000; ++i) controller_step(0.5, integral2);
  CHECK(controller_step(0.5, integral2) <= MonitorGains{}.max_offset);  // bounded
  double back = controller_step(-0.5, integral2);
  CHECK(back < MonitorGains{}.max_offset);  // anti-windup: reacts at once
}

TEST_CASE("cpuset lists expand for runc's stats", "[unit]") {
  CHECK(parse_cpu_list("0-2,4\n") == std::vector<uint16_t>{0, 1, 2, 4});
  CHECK(parse_cpu_list("3") == std::vector<uint16_t>{3});
  CHECK(parse_cpu_list("").empty());
  CHECK(parse_cpu_list("2-1,x,5") == std::vector<uint16_t>{5});
}
