// Integration: the capabilities block `runc spec` and `crun spec` write (ambient caps that
// are not inheritable) runs, silently as with runc and crun, and raises none of them.
#include <catch2/catch.hpp>

#include "support/harness.hpp"

using namespace vcrun::test;

TEST_CASE("ambient capabilities outside the inheritable set are skipped, named under --debug only",
          "[integration]") {
  auto id = unique_id("ambient");
  auto config = default_config({"grep", "-E", "^Cap(Inh|Prm|Amb)", "/proc/self/status"});
  const nlohmann::json caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  config["process"]["capabilities"] = {
      {"bounding", caps}, {"effective", caps}, {"permitted", caps}, {"ambient", caps}};
  auto r = run_vcrun({"run", "--bundle", make_bundle(id, config), id});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("CapAmb:\t0000000000000000") != std::string::npos);
  CHECK(r.out.find("CapPrm:\t0000000020000420") != std::string::npos);
  CHECK(r.err.find("ambient") == std::string::npos);
  run_vcrun({"delete", "--force", id});

  auto id2 = unique_id("ambientdbg");
  auto d = run_vcrun({"--debug", "run", "--bundle", make_bundle(id2, config), id2});
  INFO(d.err);
  REQUIRE(d.status == 0);
  CHECK(d.err.find("process.capabilities.ambient: not in both the permitted and inheritable sets, "
                   "not raised: CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE") != std::string::npos);
  run_vcrun({"delete", "--force", id2});
}
