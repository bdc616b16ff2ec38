// Integration: tmpfs mounts as runc and crun make them: the mount point's mode (setuid and
// setgid bits included), tmpcopyup, and a read-only /dev that still gets its nodes.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "support/harness.hpp"

using namespace vcrun::test;

namespace {

nlohmann::json tmpfs_at(const std::string& dest, const std::vector<std::string>& options) {
  return {{"destination", dest}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", options}};
}

}  // namespace

TEST_CASE("a tmpfs keeps its mount point's mode, setuid and setgid bits included",
          "[integration]") {
  auto id = unique_id("tmpmode");
  auto config = default_config({"stat", "-c", "%a", "/data", "/sized"});
  config["mounts"].push_back(tmpfs_at("/data", {"nosuid"}));
  config["mounts"].push_back(tmpfs_at("/sized", {"mode=700"}));
  auto bundle = make_bundle(id, config);
  for (auto dir : {"/rootfs/data", "/rootfs/sized"}) {
    std::filesystem::create_directory(bundle + dir);
    REQUIRE(::chmod((bundle + dir).c_str(), 06775) == 0);
  }
  auto r = run_vcrun({"run", "--bundle", bundle, id});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "6775\n700\n");  // "mode=" wins where it is given
  run_vcrun({"delete", "--force", id});
}

TEST_CASE("tmpcopyup starts a tmpfs with a copy of what it covers", "[integration]") {
  auto id = unique_id("copyup");
  auto config = default_config(
      {"sh", "-c",
       "cat /etc/hostname; readlink /etc/link; stat -c '%a %u:%g' /etc/sub/secret; "
       "echo new > /etc/hostname; cat /etc/hostname"});
  config["mounts"].push_back(tmpfs_at("/etc", {"tmpcopyup", "nodev"}));
  auto bundle = make_bundle(id, config);
  std::filesystem::create_directory(bundle + "/rootfs/etc/sub");
  std::ofstream(bundle + "/rootfs/etc/sub/secret") << "s";
  REQUIRE(::chown((bundle + "/rootfs/etc/sub/secret").c_str(), 1000, 1001) == 0);
  REQUIRE(::chmod((bundle + "/rootfs/etc/sub/secret").c_str(), 0640) == 0);
  std::filesystem::create_symlink("../hostname-target", bundle + "/rootfs/etc/link");
  auto r = run_vcrun({"run", "--bundle", bundle, id});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "busybox\n../hostname-target\n640 1000:1001\nnew\n");
  // The write went to the tmpfs only.
  std::ifstream host(bundle + "/rootfs/etc/hostname");
  std::string line;
  std::getline(host, line);
  CHECK(line == "busybox");
  run_vcrun({"delete", "--force", id});
}

TEST_CASE("a read-only /dev tmpfs gets its nodes and stays read-only", "[integration]") {
  auto id = unique_id("rodev");
  auto config = default_config(
      {"sh", "-c", "echo x > /dev/null && test -d /dev/pts && ! touch /dev/new 2>/dev/null && "
                   "echo ok"});
  for (auto& m : config["mounts"])
    if (m["destination"] == "/dev") m["options"].push_back("ro");
  auto r = run_vcrun({"run", "--bundle", make_bundle(id, config), id});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "ok\n");
  run_vcrun({"delete", "--force", id});
}
