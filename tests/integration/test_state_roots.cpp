// Integration: two state roots may hold containers of the same id; each gets its own
// cgroup, and deleting one leaves the other running.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>

#include "support/harness.hpp"

namespace fs = std::filesystem;
using namespace vcrun::test;

namespace {

Result in_root(const std::string& root, std::vector<std::string> args) {
  args.insert(args.begin(), {vcrun_binary(), "--root", root});
  return run(args);
}

std::string cgroup_of(const std::string& root, const std::string& id) {
  auto s = in_root(root, {"state", id});
  REQUIRE(s.status == 0);
  auto pid = nlohmann::json::parse(s.out).at("pid").get<int>();
  auto text = run({"/bin/cat", "/proc/" + std::to_string(pid) + "/cgroup"}).out;
  auto v2 = text.find("0::");  // the cgroup v2 line
  return v2 == std::string::npos ? "" : text.substr(v2 + 3, text.find('\n', v2) - v2 - 3);
}

}  // namespace

TEST_CASE("two state roots hold the same id, each in a cgroup of its own", "[integration]") {
  const std::string other = "/run/vcrun-test-root2-" + std::to_string(::getpid());
  auto id = unique_id("tworoots");
  auto bundle = make_bundle(id, default_config({"sleep", "60"}));
  auto a = run_vcrun_detached({"create", id, "--bundle", bundle});
  INFO(a.err);
  REQUIRE(a.status == 0);
  // The init keeps the stdio it is given: none of the pipes run() waits on.
  std::string err_file = work_dir() + "/" + id + ".root2.err";
  auto b = run({"/bin/sh", "-c",
                "exec \"$0\" --root \"$1\" create \"$2\" --bundle \"$3\" </dev/null >/dev/null 2>\"$4\"",
                vcrun_binary(), other, id, bundle, err_file});
  INFO(run({"cat", err_file}).out);
  CHECK(b.status == 0);
  if (b.status == 0) {
    auto ca = cgroup_of(runtime_root(), id), cb = cgroup_of(other, id);
    CHECK(ca != cb);
    CHECK(cb.find("/" + id + "@") != std::string::npos);
    CHECK(in_root(other, {"delete", "--force", id}).status == 0);
    CHECK(in_root(runtime_root(), {"state", id}).out.find("\"created\"") != std::string::npos);
  }
  CHECK(run_vcrun({"delete", "--force", id}).status == 0);
  fs::remove(other);
}
