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

TEST_CASE("run in bundle mode refuses quick mode's flags instead of ignoring them", "[integration]") {
  auto id = unique_id("bundleflags");
  auto bundle = make_bundle(id, default_config({"true"}));
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--memory", "10m"}, "vcrun: --memory: is for quick mode (a bundle's config.json says it)\n"},
      {{"--cpus", "1"}, "vcrun: --cpus: is for quick mode (a bundle's config.json says it)\n"},
      {{"-e", "A=1"}, "vcrun: --env: is for quick mode (a bundle's config.json says it)\n"},
      {{"--init"}, "vcrun: --init: is for quick mode (a bundle's config.json says it)\n"},
      {{"--upper", "/tmp"}, "vcrun: --upper: is for quick mode (a bundle's config.json says it)\n"},
  };
  for (const auto& [flags, expect] : cases) {
    std::vector<std::string> args = {"run"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.insert(args.end(), {"--bundle", bundle, id});
    auto r = run_vcrun(args);
    CHECK(r.status != 0);
    CHECK(r.err == expect);
    CHECK(run_vcrun({"state", id}).status != 0);  // nothing created
  }
  // The flags runc's run has still work: --keep keeps the stopped container.
  auto r = run_vcrun({"run", "--keep", "--bundle", bundle, id});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(run_vcrun({"delete", id}).status == 0);
}
