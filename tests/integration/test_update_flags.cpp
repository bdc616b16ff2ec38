// Integration: `vcrun update` parses runc's flags and refuses bad values the way create
// does, with one line naming the flag, before touching the container.
#include <catch2/catch.hpp>

#include <algorithm>

#include "support/harness.hpp"

using namespace vcrun::test;

namespace {

// One line on stderr, starting with "<flag>" after vcrun's own "vcrun: " prefix if any.
void refused(const std::string& id, const std::vector<std::string>& flags, const std::string& flag) {
  std::vector<std::string> args = {"update", id};
  args.insert(args.end(), flags.begin(), flags.end());
  auto r = run_vcrun(args);
  INFO(flags[0] << " -> " << r.err);
  CHECK(r.status != 0);
  CHECK(r.err.find(flag + ":") != std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

}  // namespace

TEST_CASE("update refuses out-of-range runc and vcrun flags naming the flag", "[integration]") {
  auto id = unique_id("updflags");
  auto bundle = make_bundle(id, default_config({"sleep", "60"}));
  REQUIRE(run_vcrun_detached({"create", id, "--bundle", bundle}).status == 0);
  // create's validation (validate_resources), named by the flag that set the field.
  refused(id, {"--cpuset", "3-1"}, "--cpuset");
  refused(id, {"--cpuset-cpus", "0-"}, "--cpuset-cpus");
  refused(id, {"--cpuset-mems", "a"}, "--cpuset-mems");
  refused(id, {"--memory", "64M", "--memory-reservation", "128M"}, "--memory-reservation");
  refused(id, {"--memory", "64M", "--memory-swap", "32M"}, "--memory-swap");
  refused(id, {"--memory", "-5"}, "--memory");
  refused(id, {"--cpu-share", "1"}, "--cpu-share");
  refused(id, {"--cpu-share", "262145"}, "--cpu-share");
  refused(id, {"--cpu-quota", "999"}, "--cpu-quota");
  refused(id, {"--cpu-period", "2000000"}, "--cpu-period");
  refused(id, {"--pids-limit", "0"}, "--pids-limit");
  refused(id, {"--blkio-weight", "5"}, "--blkio-weight");
  refused(id, {"--cpu-fair-share", "-1"}, "--cpu-fair-share");
  nlohmann::json bad = {{"cpu", {{"cpus", "2-1"}}}};
  auto viajson = run_vcrun({"update", "--resources", "-", id}, bad.dump());
  CHECK(viajson.status != 0);
  CHECK(viajson.err.find("linux.resources.cpu.cpus") != std::string::npos);
  // The old vcrun meaning of --cpu-share (a fraction) is runc's shares now.
  refused(id, {"--cpu-share", "0.5"}, "--cpu-share");
  CHECK(run_vcrun({"delete", "--force", id}).status == 0);
}
