// Integration: hostile config.json values still give one error line naming the field: a
// newline inside a quoted value is escaped, a number beyond a double is named by its field.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>

#include "support/harness.hpp"

using namespace vcrun::test;

TEST_CASE("errors about values with newlines or huge numbers stay on one line", "[integration]") {
  struct Case {
    std::string name, from, to, expect;
  };
  auto base = default_config({"true"});
  base["process"]["env"] = {"PATH=/bin"};
  const std::string text = base.dump();
  const std::vector<Case> cases = {
      {"env", R"("PATH=/bin")", R"("AB\nC")", R"(process.env[0]: must have the form KEY=VALUE, got "AB\nC")"},
      {"uid 1e999", R"("uid":0)", R"("uid":1e999)", "process.user.uid: the number 1e999 is out of range"},
      {"root path", R"("path":"rootfs")", R"("path":"/nonexist\nent")", R"(root.path "/nonexist\nent")"},
      {"namespace type", R"({"type":"mount"})", R"({"type":"mount"},{"type":"pi\nd"})",
       R"(linux.namespaces[)"},
      {"exec", R"("args":["true"])", R"("args":["/no\nexec"])", R"(exec: "/no\nexec")"},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      std::string config = text;
      auto at = config.find(c.from);
      REQUIRE(at != std::string::npos);
      config.replace(at, c.from.size(), c.to);
      auto id = unique_id("oneline");
      auto bundle = make_bundle(id, base);
      { std::ofstream(bundle + "/config.json") << config; }
      auto r = run_vcrun({"run", "--bundle", bundle, id});
      INFO(r.err);
      CHECK(r.status != 0);
      CHECK(r.err.find(c.expect) != std::string::npos);
      CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
      run_vcrun({"delete", "--force", id});
    }
  }
}
