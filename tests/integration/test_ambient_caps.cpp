// Integration: the capabilities block `runc spec` and `crun spec` write (ambient caps that
// are not inheritable) runs, with a warning, and raises none of them.
#include <catch2/catch.hpp>

#include "support/harness.hpp"

using namespace vcrun::test;

TEST_CASE("ambient capabilities outside the inheritable set warn and are skipped",
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
  CHECK(r.err.find("process.capabilities.ambient: CAP_KILL is not in both the permitted and "
                   "inheritable sets: not raised") != std::string::npos);
  run_vcrun({"delete", "--force", id});
}
