// Integration: `create --no-pivot` / `run --no-pivot` (runc's flag for roots on an
// initramfs): the root is moved onto "/" and chrooted into instead of pivot_root.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "support/harness.hpp"

using namespace vcrun::test;
namespace fs = std::filesystem;

namespace {

std::string sorted_listing(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  std::string out;
  for (const auto& n : names) out += n + "\n";
  return out;
}

}  // namespace

TEST_CASE("run --no-pivot has the bundle's rootfs as / and no host files", "[integration]") {
  auto id = unique_id("nopivot");
  // The container prints its "/", whether the host's vcrun binary and this test's work
  // dir exist, and the root and mount point of its root mount.
  std::string script = "ls /; test -e " + vcrun_binary() + " && echo HOST-BINARY; test -d " + work_dir() +
                       " && echo HOST-WORKDIR; head -1 /proc/self/mountinfo | cut -d' ' -f4,5";
  auto bundle = make_bundle(id, default_config({"sh", "-c", script}));
  auto r = run_vcrun({"run", "--no-pivot", id, "--bundle", bundle});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out == sorted_listing(bundle + "/rootfs") + fs::canonical(bundle).string() + "/rootfs /\n");
  run_vcrun({"delete", "--force", id});
}

TEST_CASE("create --no-pivot: start and exec see the moved root", "[integration]") {
  auto id = unique_id("nopivotc");
  auto bundle = make_bundle(id, default_config({"sleep", "60"}));
  auto created = run_vcrun_detached({"create", "--no-pivot", id, "--bundle", bundle});
  INFO(created.err);
  REQUIRE(created.status == 0);
  REQUIRE(run_vcrun({"start", id}).status == 0);
  // exec joins the mount namespace: it lands in the moved root as well.
  auto ls = run_vcrun({"exec", id, "--", "ls", "/"});
  INFO(ls.err);
  CHECK(ls.status == 0);
  CHECK(ls.out == sorted_listing(bundle + "/rootfs"));
  auto host = run_vcrun({"exec", id, "--", "test", "-e", vcrun_binary()});
  CHECK(host.status == 1);
  CHECK(run_vcrun({"delete", "--force", id}).status == 0);
}
