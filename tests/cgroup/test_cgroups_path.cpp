// [vm] linux.cgroupsPath naming a cgroup that exists before the container: used in place
// and kept on delete, refused while it holds processes, thawed when frozen and empty.
#include <sys/stat.h>

#include <algorithm>

#include "cgroup/hierarchy.hpp"
#include "cgroup_test_util.hpp"
#include "support/harness.hpp"

using namespace vcrun;
using namespace vcrun::cgtest;
namespace t = vcrun::test;

namespace {

bool root_v2() { return ::geteuid() == 0 && have_controller("pids"); }

ino_t inode_of(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? st.st_ino : 0;
}

// `vcrun run --rm` of `script` with linux.cgroupsPath = `cgroups_path`.
t::Result run_in(const std::string& tag, const std::string& cgroups_path, const std::string& script) {
  auto config = t::default_config({"/bin/sh", "-c", script});
  config["linux"]["cgroupsPath"] = cgroups_path;
  auto id = t::unique_id(tag);
  return t::run_vcrun({"run", "--rm", id, "--bundle", t::make_bundle(id, config)});
}

}  // namespace

TEST_CASE("vcrun: an existing empty cgroupsPath cgroup is used in place and kept, frozen or not", "[vm]") {
  if (!root_v2()) {
    WARN("SKIP: needs root on a pure cgroup v2 host");
    return;
  }
  std::string rel = "/vcrun-pre-" + std::to_string(::getpid());
  std::string dir = cgroup::cgroup2_mount().mount_point + rel;
  REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
  ino_t before = inode_of(dir);
  auto r = run_in("prekept", rel, "echo ran");
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "ran\n");
  CHECK(r.err.find("removing stale") == std::string::npos);
  CHECK(inode_of(dir) == before);  // the same directory: never removed and made again
  // vcrun's device program went with the container: /dev/kmsg (outside the default list)
  // is writable again for the cgroup's next process.
  pid_t probe = spawn_in(dir, [] { return ::faccessat(AT_FDCWD, "/dev/kmsg", W_OK, 0) == 0 ? 0 : errno; });
  int status = wait_for(probe, 20);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);

  // Frozen and empty (a paused container's cgroup left behind): thawed and used.
  write_existing(dir + "/cgroup.freeze", "1");
  auto f = run_in("prefrozen", rel, "echo ran");
  INFO(f.out << f.err);
  CHECK(f.status == 0);
  CHECK(f.out == "ran\n");
  CHECK(inode_of(dir) == before);
  CHECK(read(dir + "/cgroup.freeze") == "0");
  CHECK(::rmdir(dir.c_str()) == 0);
}

TEST_CASE("vcrun: a cgroupsPath cgroup holding processes is refused and left alone", "[vm]") {
  if (!root_v2()) {
    WARN("SKIP: needs root on a pure cgroup v2 host");
    return;
  }
  std::string rel = "/vcrun-busy-" + std::to_string(::getpid());
  std::string dir = cgroup::cgroup2_mount().mount_point + rel;
  REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
  pid_t owner = spawn_in(dir, [] {
    ::pause();
    return 0;
  });
  struct Reap {  // also when a check throws: the child holds the test's stdout
    pid_t pid;
    ~Reap() {
      if (pid <= 0) return;
      ::kill(pid, SIGKILL);
      wait_for(pid, 10);
    }
  } reap{owner};
  for (int i = 0; i < 100 && read(dir + "/cgroup.procs").empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(read(dir + "/cgroup.procs") == std::to_string(owner));
  auto r = run_in("prebusy", rel, "echo ran");
  INFO(r.out << r.err);
  CHECK(r.status != 0);
  CHECK(r.out.empty());
  CHECK(r.err.find("linux.cgroupsPath: cgroup " + dir + " already holds processes") != std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  // Its process lives on, in the same cgroup.
  int st = 0;
  CHECK(::waitpid(owner, &st, WNOHANG) == 0);  // not dead (a zombie would still take kill 0)
  REQUIRE(exists(dir));
  CHECK(read(dir + "/cgroup.procs") == std::to_string(owner));
  ::kill(owner, SIGKILL);
  wait_for(owner, 10);
  reap.pid = 0;  // reaped
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(::rmdir(dir.c_str()) == 0);
}

TEST_CASE("vcrun: a cgroupsPath cgroup vcrun made is removed with the container", "[vm]") {
  if (!root_v2()) {
    WARN("SKIP: needs root on a pure cgroup v2 host");
    return;
  }
  std::string rel = "/vcrun-made-" + std::to_string(::getpid());
  std::string dir = cgroup::cgroup2_mount().mount_point + rel;
  auto config = t::default_config({"/bin/sh", "-c", "exec </dev/null >/dev/null 2>&1; sleep 100"});
  config["linux"]["cgroupsPath"] = rel;
  auto id = t::unique_id("premade");
  auto r = t::run_vcrun({"run", "--detach", "--bundle", t::make_bundle(id, config), id});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(!read(dir + "/cgroup.procs").empty());  // it runs there
  CHECK(t::run_vcrun({"delete", "--force", id}).status == 0);
  CHECK(!exists(dir));
}
