// Integration: a linux.cgroupsPath that cannot name a cgroup is refused before anything
// exists, and the parents vcrun makes for a good one go with the container, while those
// it found stay.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "cgroup/hierarchy.hpp"
#include "support/harness.hpp"

namespace fs = std::filesystem;
using namespace vcrun::test;

namespace {

// A top-level cgroup name private to this test process.
std::string private_top(const std::string& tag) {
  return "/vcrun-t" + std::to_string(::getpid()) + "-" + tag;
}

std::string cgroup_root() { return vcrun::cgroup::cgroup2_mount().mount_point; }

Result create_in(const std::string& id, const std::string& cgroups_path, nlohmann::json config) {
  config["linux"]["cgroupsPath"] = cgroups_path;
  return run_vcrun_detached({"create", id, "--bundle", make_bundle(id, config)});
}

}  // namespace

TEST_CASE("a bad linux.cgroupsPath is refused naming the field and creates no cgroup",
          "[integration]") {
  const std::string top = private_top("bad");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {top + "/x/cgroup.procs", "interface file"},
      {top + "/x/memory.max", "interface file"},
      {top + "/" + std::string(5000, 'b'), "PATH_MAX"},
      {top + "/" + std::string(256, 'b'), "NAME_MAX"},
      {top + "/x/../y", "\"..\""},
      {top + "/./y", "\".\""},
      {top + "//y", "empty"},
      {top + "/y/", "empty"},
  };
  for (const auto& [path, reason] : cases) {
    INFO("cgroupsPath " << path.substr(0, 80));
    auto id = unique_id("badcg");
    auto r = create_in(id, path, default_config({"true"}));
    INFO(r.err);
    CHECK(r.status != 0);
    CHECK(r.err.find("linux.cgroupsPath: ") != std::string::npos);
    CHECK(r.err.find(reason) != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(!fs::exists(cgroup_root() + top));
    CHECK(!fs::exists(runtime_root() + "/" + id));
    if (r.status == 0) run_vcrun({"delete", "--force", id});  // what the old code accepted
    ::rmdir((cgroup_root() + top + "/x").c_str());           // and what it left
    ::rmdir((cgroup_root() + top).c_str());
  }
}

TEST_CASE("the parents vcrun made for a cgroupsPath go with the container", "[integration]") {
  const std::string top = private_top("made");
  auto id = unique_id("cgpar");
  auto r = create_in(id, top + "/a/b", default_config({"sleep", "60"}));
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(fs::is_directory(cgroup_root() + top + "/a/b"));
  auto d = run_vcrun({"delete", "--force", id});
  INFO(d.err);
  CHECK(d.status == 0);
  CHECK(!fs::exists(cgroup_root() + top));
  ::rmdir((cgroup_root() + top + "/a/b").c_str());
  ::rmdir((cgroup_root() + top + "/a").c_str());
  ::rmdir((cgroup_root() + top).c_str());
}

TEST_CASE("a parent that existed before the container survives its delete", "[integration]") {
  const std::string top = private_top("kept");
  REQUIRE(::mkdir((cgroup_root() + top).c_str(), 0755) == 0);
  auto id = unique_id("cgkeep");
  auto r = create_in(id, top + "/a/b", default_config({"sleep", "60"}));
  INFO(r.err);
  CHECK(r.status == 0);
  auto d = run_vcrun({"delete", "--force", id});
  INFO(d.err);
  CHECK(d.status == 0);
  CHECK(fs::is_directory(cgroup_root() + top));
  CHECK(!fs::exists(cgroup_root() + top + "/a"));
  ::rmdir((cgroup_root() + top + "/a/b").c_str());
  ::rmdir((cgroup_root() + top + "/a").c_str());
  CHECK(::rmdir((cgroup_root() + top).c_str()) == 0);
}

TEST_CASE("a create that fails after making cgroupsPath parents removes them", "[integration]") {
  const std::string top = private_top("fail");
  auto config = default_config({"true"});
  // The init fails on the mount, after the cgroup and its parents exist.
  config["mounts"].push_back({{"destination", "/x"},
                              {"source", "/nonexistent-vcrun-source"},
                              {"type", "bind"},
                              {"options", {"bind"}}});
  auto id = unique_id("cgfail");
  auto r = create_in(id, top + "/a/b", config);
  INFO(r.err);
  CHECK(r.status != 0);
  CHECK(r.err.find("mounts[") != std::string::npos);
  CHECK(!fs::exists(cgroup_root() + top));
  CHECK(!fs::exists(runtime_root() + "/" + id));
  ::rmdir((cgroup_root() + top + "/a/b").c_str());
  ::rmdir((cgroup_root() + top + "/a").c_str());
  ::rmdir((cgroup_root() + top).c_str());
}
