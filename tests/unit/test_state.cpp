// Unit tests: container ids and the state store (unprivileged, in a temp dir).
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <variant>

#include "runtime/state/state.hpp"
#include "vcrun/error.hpp"

using namespace vcrun;
using namespace vcrun::state;
using vcrun::cgroup::MadeCgroup;
using vcrun::cgroup::MadeCgroupDirs;

namespace {

std::string temp_root() {
  auto dir = std::filesystem::temp_directory_path() /
             ("vcrun-state-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir.string();
}

}  // namespace

TEST_CASE("container ids: [A-Za-z0-9][A-Za-z0-9_.-]{0,127}", "[unit]") {
  for (const std::string& ok : std::vector<std::string>{"a", "Z9", "build-1.2_x", std::string(128, 'a')})
    CHECK_NOTHROW(Store::validate_id(ok));
  for (const std::string& bad : std::vector<std::string>{"", "..", ".", "a/b", "/abs", "-x", "_x", ".hidden", "a b", "ä",
                          std::string(129, 'a'), std::string("a\0b", 3)}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH(Store::validate_id(bad), Catch::Matchers::StartsWith("id: "));
  }
}

TEST_CASE("the store saves, loads, lists and removes container state", "[unit]") {
  Store store(temp_root());
  store.create_dir("c1");
  CHECK_THROWS_WITH(store.create_dir("c1"), "container c1 already exists");
  CHECK_THROWS_WITH(store.load("c1"), "container c1 does not exist");  // no state yet
  ContainerState st;
  st.id = "c1";
  st.bundle = "/b";
  st.oci_version = "1.2.0";
  st.pid = 42;
  st.pid_start_time = 7;
  st.started = true;
  st.cgroup_path = "/sys/fs/cgroup/vcrun/c1";
  st.annotations = {{"k", "v"}};
  store.save(st);
  auto back = store.load("c1");
  CHECK(back.bundle == "/b");
  CHECK(back.pid == 42);
  CHECK(back.pid_start_time == 7);
  CHECK(back.started);
  CHECK(back.cgroup_path == st.cgroup_path);
  CHECK(back.annotations == st.annotations);
  CHECK(store.list() == std::vector<std::string>{"c1"});
  {
    auto lock = store.lock("c1");  // exclusive, released at scope end
  }
  store.remove("c1");
  CHECK(store.list().empty());
  CHECK_THROWS_WITH(store.lock("c1"), "container c1 does not exist");
  std::filesystem::remove_all(store.root());
}

TEST_CASE("status follows the process, and pid reuse reads as stopped", "[unit]") {
  ContainerState st;
  st.id = "s";
  CHECK(current_status(st) == Status::creating);  // no init yet
  st.pid = ::getpid();
  st.pid_start_time = *process_start_time(::getpid());
  CHECK(current_status(st) == Status::created);
  st.started = true;
  CHECK(current_status(st) == Status::running);
  st.pid_start_time += 1;  // same pid, another process
  CHECK(current_status(st) == Status::stopped);
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  CHECK_FALSE(process_start_time(child).has_value());
}

TEST_CASE("the teardown record keeps its entries, in order, through the state file", "[unit]") {
  Store store(temp_root());
  store.create_dir("t1");
  ContainerState st;
  st.id = "t1";
  st.teardown.record(MadeCgroupDirs{{"/sys/fs/cgroup/a", "/sys/fs/cgroup/a/b"}});
  st.teardown.record(MadeCgroup{"/sys/fs/cgroup/a/b", true});
  // A step refining its entry replaces it rather than adding a second one.
  st.teardown.record(MadeCgroup{"/sys/fs/cgroup/a/b", false});
  store.save(st);
  auto back = store.load("t1").teardown.made;
  REQUIRE(back.size() == 2);
  REQUIRE(std::holds_alternative<MadeCgroupDirs>(back[0]));
  CHECK(std::get<MadeCgroupDirs>(back[0]).dirs == std::vector<std::string>{"/sys/fs/cgroup/a", "/sys/fs/cgroup/a/b"});
  REQUIRE(std::holds_alternative<MadeCgroup>(back[1]));
  CHECK(std::get<MadeCgroup>(back[1]).path == "/sys/fs/cgroup/a/b");
  CHECK_FALSE(std::get<MadeCgroup>(back[1]).created);
  std::filesystem::remove_all(store.root());
}

TEST_CASE("state written before the teardown record gets one from its cgroup fields", "[unit]") {
  Store store(temp_root());
  store.create_dir("old");
  std::ofstream(store.dir("old") + "/state.json")
      << R"({"id":"old","bundle":"/b","ociVersion":"1.2.0","pid":0,"pidStartTime":0,"started":false,)"
         R"("rootfs":"/r","cgroupPath":"/sys/fs/cgroup/x/y","cgroupCreated":false,)"
         R"("cgroupDirsMade":["/sys/fs/cgroup/x"],"created":"now","quick":false,"annotations":{},"extra":{}})";
  auto made = store.load("old").teardown.made;
  REQUIRE(made.size() == 2);
  CHECK(std::get<MadeCgroupDirs>(made[0]).dirs == std::vector<std::string>{"/sys/fs/cgroup/x"});
  CHECK(std::get<MadeCgroup>(made[1]).path == "/sys/fs/cgroup/x/y");
  CHECK_FALSE(std::get<MadeCgroup>(made[1]).created);
  // An entry of a kind this vcrun does not know is corrupt state, not silently dropped.
  std::ofstream(store.dir("old") + "/state.json")
      << R"({"id":"old","bundle":"/b","ociVersion":"1.2.0","pid":0,"pidStartTime":0,"started":false,)"
         R"("rootfs":"/r","cgroupPath":"","created":"now","annotations":{},"teardown":[{"veth":"x"}]})";
  CHECK_THROWS_WITH(store.load("old"), Catch::Matchers::Contains("corrupt state") &&
                                           Catch::Matchers::Contains("unknown teardown entry"));
  // A bind allowlist entry (vcrun before cgroup::destroy detached the programs) is read and
  // dropped: the cgroup entry undoes it now.
  std::ofstream(store.dir("old") + "/state.json")
      << R"({"id":"old","bundle":"/b","ociVersion":"1.2.0","pid":0,"pidStartTime":0,"started":false,)"
         R"("rootfs":"/r","cgroupPath":"/sys/fs/cgroup/x","created":"now","annotations":{},)"
         R"("teardown":[{"cgroup":{"path":"/sys/fs/cgroup/x","created":false}},{"bindAllow":{"cgroup":"/sys/fs/cgroup/x"}}]})";
  made = store.load("old").teardown.made;
  REQUIRE(made.size() == 1);
  CHECK(std::get<MadeCgroup>(made[0]).path == "/sys/fs/cgroup/x");
  std::filesystem::remove_all(store.root());
}
