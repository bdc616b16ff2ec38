// Integration: a hook started by `vcrun run` does not inherit the signals run blocks to
// forward them, so it and anything it leaves running can be stopped with SIGTERM.
#include <catch2/catch.hpp>

#include "support/harness.hpp"

using namespace vcrun::test;

TEST_CASE("hooks of a foreground run start with no signal blocked", "[integration]") {
  auto id = unique_id("hooksig");
  auto config = default_config({"true"});
  // grep itself, not through sh: dash clears the mask it inherits at startup.
  config["hooks"] = {{"prestart", {{{"path", "/bin/grep"},
                                    {"args", {"grep", "SigBlk", "/proc/self/status"}}}}}};
  auto r = run_vcrun({"run", "--rm", id, "--bundle", make_bundle(id, config)});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out == "SigBlk:\t0000000000000000\n");
}
