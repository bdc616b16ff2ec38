// Unit: a teardown record checked against the container's id and root before delete acts
// on it (runtime/state/record_check.hpp); nothing here touches a cgroup.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <variant>

#include "cgroup/hierarchy.hpp"
#include "cgroup/hooks_cgroup.hpp"
#include "net/state/leases.hpp"
#include "runtime/state/record_check.hpp"
#include "vcrun/error.hpp"

using namespace vcrun;
using namespace vcrun::state;
using cgroup::MadeCgroup;
using cgroup::MadeCgroupDirs;
using cgroup::MadeHooksCgroup;

namespace {

std::string temp_root() {
  auto dir = std::filesystem::temp_directory_path() / ("vcrun-record-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir.string();
}

}  // namespace

TEST_CASE("a teardown record's entries outside the container are dropped, its own are kept", "[unit]") {
  Store store(temp_root());
  std::string own, hooks;
  try {
    own = cgroup::container_dir("", store.cgroup_name("a"));
    hooks = cgroup::hooks_dir(store.cgroup_name("a"));
  } catch (const Error& e) {
    WARN("SKIP: no cgroup2 hierarchy: " << e.what());
    return;
  }
  store.create_dir("a");
  ContainerState st;
  st.id = "a";
  const std::string sibling = cgroup::container_dir("", store.cgroup_name("b"));
  st.teardown.made = {MadeCgroup{sibling, true}, MadeHooksCgroup{cgroup::hooks_dir(store.cgroup_name("b"))},
                      MadeCgroupDirs{{"/sys/fs/cgroup/system.slice"}},
                      net::BridgeAttachment{"/tmp/elsewhere", "br0", "10.0.0.0/24", "10.0.0.2", "vb0a000002", false},
                      net::ShapeAttachment{"/etc", "eth0", 5}};
  auto out = checked_teardown(store, st).made;
  // Only what the id and root give: the default cgroup and the hooks cgroup.
  REQUIRE(out.size() == 2);
  REQUIRE(std::holds_alternative<MadeCgroup>(out[0]));
  CHECK(std::get<MadeCgroup>(out[0]).path == own);
  CHECK(std::get<MadeCgroup>(out[0]).created);
  REQUIRE(std::holds_alternative<MadeHooksCgroup>(out[1]));
  CHECK(std::get<MadeHooksCgroup>(out[1]).path == hooks);

  // An empty record gets the same, and the container's own entries pass as they are.
  st.teardown.made.clear();
  CHECK(checked_teardown(store, st).made.size() == 2);
  st.teardown.made = {MadeCgroup{own, true}, net::ShapeAttachment{net::netns_lease_dir(), "eth0", 5}};
  out = checked_teardown(store, st).made;
  REQUIRE(out.size() == 3);
  CHECK(std::get<MadeCgroup>(out[0]).path == own);
  CHECK(std::get<net::ShapeAttachment>(out[1]).minor == 5);
  std::filesystem::remove_all(store.root());
}

TEST_CASE("a state file whose id is not its directory's is corrupt", "[unit]") {
  Store store(temp_root());
  store.create_dir("a");
  std::ofstream(store.dir("a") + "/state.json")
      << R"({"id":"b","bundle":"/b","ociVersion":"1.2.0","pid":0,"pidStartTime":0,"started":false,)"
         R"("rootfs":"/r","cgroupPath":"","created":"now","annotations":{},"teardown":[]})";
  CHECK_THROWS_WITH(store.load("a"), Catch::Matchers::Contains("corrupt state") &&
                                         Catch::Matchers::Contains("its id is \"b\""));
  std::filesystem::remove_all(store.root());
}
