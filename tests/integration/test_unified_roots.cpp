// Integration: containers on unified trees through the CLI: the copy-on-write overlay
// (bundle, quick mode, vcrun.lowers/upper) and the refusal of a writable way around it.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "integration/unify_util.hpp"
#include "support/harness.hpp"

using namespace vcrun::test;
namespace fs = std::filesystem;
using nlohmann::json;
using namespace vcrun::test::unify_util;

namespace {

std::string shared_text() { return "one inode for every container\n"; }

// `vcrun spec --secure` with a writable root, so that writes reach the overlay.
json writable_config(const std::vector<std::string>& args) {
  auto config = default_config(args);
  config["root"]["readonly"] = false;
  return config;
}

// Two bundles whose rootfs hold the same /data/shared.txt, unified.
std::pair<std::string, std::string> unified_bundles(const std::string& tag, const std::vector<std::string>& a_args,
                                                    const std::vector<std::string>& b_args) {
  auto a = make_bundle(unique_id(tag + "a"), writable_config(a_args));
  auto b = make_bundle(unique_id(tag + "b"), writable_config(b_args));
  for (auto& bundle : {a, b}) write_text(fs::path(bundle) / "rootfs/data/shared.txt", shared_text());
  unify_json({"--index", (fs::path(work_dir()) / "unify-index").string(), a + "/rootfs", b + "/rootfs"});
  REQUIRE(same_inode(a + "/rootfs/data/shared.txt", b + "/rootfs/data/shared.txt"));
  return {a, b};
}

void set_args(const std::string& bundle, const std::vector<std::string>& args) {
  auto path = fs::path(bundle) / "config.json";
  auto config = json::parse(read_text(path));
  config["process"]["args"] = args;
  std::ofstream(path, std::ios::trunc) << config.dump(2);
}

}  // namespace

TEST_CASE("a container writing to a unified file gets a private copy", "[integration]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  auto [a, b] = unified_bundles("cow", {"sh", "-c", "echo changed > /data/shared.txt && cat /data/shared.txt"},
                                {"cat", "/data/shared.txt"});
  fs::path host = fs::path(a) / "rootfs/data/shared.txt";
  auto ino = lstat_of(host).st_ino;
  auto links = lstat_of(host).st_nlink;
  auto id = unique_id("cow");
  auto r = run_vcrun({"run", "--bundle", a, id});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out == "changed\n");
  // The shared inode and the other container keep the original.
  CHECK(read_text(host) == shared_text());
  CHECK(lstat_of(host).st_ino == ino);
  CHECK(lstat_of(host).st_nlink == links);
  auto other = run_vcrun({"run", "--bundle", b, unique_id("cow-other")});
  INFO(other.err);
  CHECK(other.status == 0);
  CHECK(other.out == shared_text());
  // The copy lives in the container's persistent upper beside config.json ...
  fs::path upper = fs::path(a) / "vcrun-upper" / id / "upper/data/shared.txt";
  CHECK(read_text(upper) == "changed\n");
  // ... which the next container of that id gets back.
  set_args(a, {"cat", "/data/shared.txt"});
  auto again = run_vcrun({"run", "--bundle", a, id});
  CHECK(again.out == "changed\n");
}

TEST_CASE("a container in a user namespace writes to its unified root's upper", "[integration]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  auto [a, b] = unified_bundles("userns", {"sh", "-c", "echo mine > /new.txt && cat /new.txt"},
                                {"true"});
  auto path = fs::path(a) / "config.json";
  auto config = json::parse(read_text(path));
  config["linux"]["namespaces"].push_back({{"type", "user"}});
  config["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  config["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  std::ofstream(path, std::ios::trunc) << config.dump(2);
  // The container's root (host uid 100000) must cross <bundle>/vcrun-upper to mount it.
  auto r = run_vcrun({"run", "--bundle", a, unique_id("userns")});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "mine\n");
  CHECK(!fs::exists(fs::path(b) / "rootfs/new.txt"));
}

TEST_CASE("a container deleting a unified file hides it only for itself", "[integration]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  auto [a, b] = unified_bundles("rm", {"sh", "-c", "rm /data/shared.txt && test ! -e /data/shared.txt && echo gone"},
                                {"cat", "/data/shared.txt"});
  auto r = run_vcrun({"run", "--bundle", a, unique_id("rm")});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out == "gone\n");
  CHECK(read_text(fs::path(a) / "rootfs/data/shared.txt") == shared_text());
  auto other = run_vcrun({"run", "--bundle", b, unique_id("rm-other")});
  CHECK(other.out == shared_text());
}

TEST_CASE("quick mode runs a unified --rootfs under an overlay, --upper keeps its writes", "[integration]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  auto [a, b] = unified_bundles("quick", {"true"}, {"true"});
  fs::path host = fs::path(a) / "rootfs/data/shared.txt";
  auto r = run_vcrun({"run", "--rm", "--rootfs", a + "/rootfs", "--", "sh", "-c",
                      "echo q > /data/shared.txt && cat /data/shared.txt"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out == "q\n");
  CHECK(read_text(host) == shared_text());
  fs::path upper = fs::path(a) / "quick-upper";
  auto u = run_vcrun({"run", "--rm", "--rootfs", a + "/rootfs", "--upper", upper.string(), "--", "sh", "-c",
                      "echo kept > /data/shared.txt"});
  INFO(u.err);
  REQUIRE(u.status == 0);
  CHECK(read_text(upper / "upper/data/shared.txt") == "kept\n");
  CHECK(read_text(host) == shared_text());
  // A fresh upper directory is the container's own (0700); an existing one keeps its mode.
  CHECK((lstat_of(upper).st_mode & 07777) == 0700);
  fs::path existing = fs::path(a) / "existing-upper";
  fs::create_directory(existing);
  fs::permissions(existing, fs::perms(0755));
  auto e = run_vcrun({"run", "--rm", "--rootfs", a + "/rootfs", "--upper", existing.string(), "--", "true"});
  INFO(e.err);
  REQUIRE(e.status == 0);
  CHECK((lstat_of(existing).st_mode & 07777) == 0755);
}

TEST_CASE("quick mode's --upper goes through the overlap check, with or without --rootfs", "[integration]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  auto one_line = [](const Result& r, const std::string& what) {
    INFO(r.err);
    CHECK(r.status != 0);
    CHECK(r.err.find("vcrun.upper: ") != std::string::npos);
    CHECK(r.err.find(" overlaps " + what) != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  };
  // The host-root overlay: "/" is its lower, the state directory holds its mount point.
  one_line(run_vcrun({"run", "--rm", "--upper", "/", "--", "true"}), "the host root");
  one_line(run_vcrun({"run", "--rm", "--upper", runtime_root(), "--", "true"}), "the container's state directory");
  // --rootfs: inside the root, and holding it.
  auto [a, b] = unified_bundles("qoverlap", {"true"}, {"true"});
  one_line(run_vcrun({"run", "--rm", "--rootfs", a + "/rootfs", "--upper", a + "/rootfs/up", "--", "true"}), "root.path");
  one_line(run_vcrun({"run", "--rm", "--rootfs", a + "/rootfs", "--upper", a, "--", "true"}), "root.path");
  CHECK_FALSE(fs::exists(fs::path(a) / "rootfs/up"));
  CHECK_FALSE(fs::exists("/upper"));
}

TEST_CASE("a writable bind of a unified tree is refused, a read-only one runs", "[integration]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  auto [a, b] = unified_bundles("bind", {"true"}, {"true"});
  auto config = default_config({"sh", "-c", "echo x > /mnt/data/shared.txt"});
  config["mounts"].push_back({{"destination", "/mnt"}, {"type", "bind"}, {"source", a + "/rootfs"},
                              {"options", {"rbind"}}});
  auto bundle = make_bundle(unique_id("bind-rw"), config);
  auto id = unique_id("bind-rw");
  auto r = run_vcrun({"run", "--bundle", bundle, id});
  CHECK(r.status != 0);
  INFO(r.err);
  CHECK(r.err.find("is in the unified tree") != std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  auto n = config["mounts"].size() - 1;
  CHECK(r.err.find("mounts[" + std::to_string(n) + "].source") != std::string::npos);
  CHECK(read_text(fs::path(a) / "rootfs/data/shared.txt") == shared_text());
  CHECK(run_vcrun({"state", id}).status != 0);  // nothing left behind

  config["mounts"].back()["options"] = {"rbind", "ro"};
  config["process"]["args"] = {"cat", "/mnt/data/shared.txt"};
  auto ro = make_bundle(unique_id("bind-ro"), config);
  auto ok = run_vcrun({"run", "--bundle", ro, unique_id("bind-ro")});
  INFO(ok.err);
  CHECK(ok.status == 0);
  CHECK(ok.out == shared_text());
}

TEST_CASE("vcrun.lowers stack a shared base under the container's layer", "[integration]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  auto dir = fresh_dir("lowers");
  write_text(dir / "base/etc/from-base", "base\n");
  write_text(dir / "base/etc/both", "base\n");
  auto config = writable_config({"sh", "-c", "cat /etc/from-base /etc/both; echo w > /etc/from-base"});
  config["vcrun"]["lowers"] = {(dir / "base").string()};
  auto bundle = make_bundle(unique_id("lowers"), config);
  write_text(fs::path(bundle) / "rootfs/etc/both", "layer\n");
  auto r = run_vcrun({"run", "--bundle", bundle, unique_id("lowers")});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out == "base\nlayer\n");
  CHECK(read_text(dir / "base/etc/from-base") == "base\n");

  // An upper inside a layer is refused before anything is made.
  config["vcrun"]["upper"] = (dir / "base/inside").string();
  auto bad = make_bundle(unique_id("lowers-bad"), config);
  auto e = run_vcrun({"run", "--bundle", bad, unique_id("lowers-bad")});
  CHECK(e.status != 0);
  INFO(e.err);
  CHECK(e.err.find("vcrun.upper") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "base/inside"));
}
