// Unit: the teardown record's JSON (runtime/teardown/record.hpp, cgroup/records.hpp,
// net/state/records.hpp) is the one state.json has always held: a record written by an
// earlier vcrun loads, and what this one writes is that same text.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <variant>

#include <nlohmann/json.hpp>

#include "runtime/state/state.hpp"
#include "runtime/teardown/record.hpp"

using namespace vcrun;

namespace {

// Every kind, as vcrun wrote it before the records moved to their mechanisms (keys sorted,
// as nlohmann::json dumps an object).
constexpr const char* kRecord =
    R"([{"cgroupDirs":["/sys/fs/cgroup/a","/sys/fs/cgroup/a/b"]},)"
    R"({"cgroup":{"created":false,"path":"/sys/fs/cgroup/a/b"}},)"
    R"({"hooksCgroup":"/sys/fs/cgroup/vcrun-hooks/c1"},)"
    R"({"bridgeLink":{"bridge":"vcrun0","ip":"10.88.0.5","leases":"/run/vcrun-net/4026531840",)"
    R"("published":true,"subnet":"10.88.0.0/16","veth":"vb0a580005"}},)"
    R"({"netClass":{"device":"eth0","minor":7,"root":"/run/vcrun-net/4026531840"}}])";

}  // namespace

TEST_CASE("a teardown record in state.json's format loads entry by entry and is written back the same",
          "[unit]") {
  auto r = teardown::record_from_json(nlohmann::json::parse(kRecord));
  REQUIRE(r.made.size() == 5);
  const auto& dirs = std::get<cgroup::MadeCgroupDirs>(r.made[0]);
  CHECK(dirs.dirs == std::vector<std::string>{"/sys/fs/cgroup/a", "/sys/fs/cgroup/a/b"});
  const auto& cg = std::get<cgroup::MadeCgroup>(r.made[1]);
  CHECK(cg.path == "/sys/fs/cgroup/a/b");
  CHECK_FALSE(cg.created);
  CHECK(std::get<cgroup::MadeHooksCgroup>(r.made[2]).path == "/sys/fs/cgroup/vcrun-hooks/c1");
  const auto& b = std::get<net::BridgeAttachment>(r.made[3]);
  CHECK(b.leases == "/run/vcrun-net/4026531840");
  CHECK(b.bridge == "vcrun0");
  CHECK(b.subnet == "10.88.0.0/16");
  CHECK(b.ip == "10.88.0.5");
  CHECK(b.veth == "vb0a580005");
  CHECK(b.published);
  const auto& c = std::get<net::ShapeAttachment>(r.made[4]);
  CHECK(c.root == "/run/vcrun-net/4026531840");
  CHECK(c.device == "eth0");
  CHECK(c.minor == 7);
  CHECK(teardown::net_class(r) == &c);
  CHECK(teardown::hooks_cgroup(r) == "/sys/fs/cgroup/vcrun-hooks/c1");

  // Written back: the same text, so an earlier vcrun reads it as it wrote it.
  CHECK(teardown::record_json(r).dump() == kRecord);
}

TEST_CASE("a bridge link written before published ports loads as unpublished", "[unit]") {
  auto r = teardown::record_from_json(nlohmann::json::parse(
      R"([{"bridgeLink":{"bridge":"br1","ip":"10.0.0.2","leases":"/l","subnet":"10.0.0.0/24","veth":"vb0a000002"}}])"));
  REQUIRE(r.made.size() == 1);
  CHECK_FALSE(std::get<net::BridgeAttachment>(r.made[0]).published);
  CHECK(teardown::net_class(r) == nullptr);
  CHECK(teardown::hooks_cgroup(r).empty());
}

TEST_CASE("a teardown entry missing a field is malformed, not read as a default", "[unit]") {
  using nlohmann::json;
  CHECK_THROWS_AS(teardown::record_from_json(json::parse(R"([{"netClass":{"device":"eth0","root":"/l"}}])")),
                  json::exception);
  CHECK_THROWS_AS(teardown::record_from_json(json::parse(R"([{"cgroup":{"path":"/sys/fs/cgroup/x"}}])")),
                  json::exception);
  CHECK_THROWS_AS(teardown::record_from_json(json::parse(R"([{"bridgeLink":{"bridge":"b","ip":"i","leases":"l","subnet":"s"}}])")),
                  json::exception);
  CHECK_THROWS_AS(teardown::record_from_json(json::parse(R"([{"hooksCgroup":7}])")), json::exception);
  CHECK_THROWS_AS(teardown::record_from_json(json::parse(R"([{"veth":"x"}])")), std::invalid_argument);
}

TEST_CASE("a state file with every kind of teardown entry loads, and saves the same record", "[unit]") {
  auto dir = std::filesystem::temp_directory_path() / ("vcrun-record-json-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  state::Store store(dir.string());
  store.create_dir("c1");
  std::ofstream(store.dir("c1") + "/state.json")
      << R"({"id":"c1","bundle":"/b","ociVersion":"1.2.0","pid":0,"pidStartTime":0,"started":false,)"
         R"("rootfs":"/r","cgroupPath":"/sys/fs/cgroup/a/b","created":"now","newKeyring":true,"annotations":{},)"
         R"("teardown":)"
      << kRecord << "}";
  auto st = store.load("c1");
  REQUIRE(st.teardown.made.size() == 5);
  CHECK(std::get<net::BridgeAttachment>(st.teardown.made[3]).veth == "vb0a580005");
  store.save(st);
  std::ifstream in(store.dir("c1") + "/state.json");
  CHECK(nlohmann::json::parse(in).at("teardown") == nlohmann::json::parse(kRecord));
  std::filesystem::remove_all(dir);
}
