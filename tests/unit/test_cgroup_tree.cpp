// Unit: the shared cgroup readers on a fake tree: the cgroup.procs walk (`vcrun ps`, the
// kill fallback), the freezer's state (pause, and every status the state store reports),
// and the tolerant file read the stats use.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "base/fs_util.hpp"
#include "cgroup/flat_keyed.hpp"
#include "cgroup/freezer.hpp"
#include "cgroup/procs.hpp"
#include "vcrun/error.hpp"

using namespace vcrun;
using namespace vcrun::cgroup;
namespace fs = std::filesystem;

namespace {

void put(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

struct FakeTree {
  fs::path root = fs::temp_directory_path() / ("vcrun-cgtree-" + std::to_string(::getpid()));
  FakeTree() { fs::remove_all(root); }
  ~FakeTree() { fs::remove_all(root); }
};

}  // namespace

TEST_CASE("a cgroup tree's pids: the cgroup's own first, then every cgroup below", "[unit]") {
  FakeTree t;
  put(t.root / "cg/cgroup.procs", "10\n11\n");
  put(t.root / "cg/a/cgroup.procs", "20\n");
  put(t.root / "cg/a/deep/cgroup.procs", "30\n");
  put(t.root / "cg/b/cgroup.procs", "");
  fs::create_directories(t.root / "cg/gone");  // removed while walked: no cgroup.procs
  std::string cg = (t.root / "cg").string();
  auto tree = cgroup_tree(cg);
  REQUIRE(tree.size() == 5);
  CHECK(tree.front() == cg);
  // Each cgroup is listed before the cgroups below it.
  auto at = [&](const std::string& d) { return std::find(tree.begin(), tree.end(), d) - tree.begin(); };
  CHECK(at(cg + "/a") < at(cg + "/a/deep"));
  CHECK(child_cgroups(cg).size() == 3);
  CHECK(child_cgroups(cg + "/a/deep").empty());
  auto pids = tree_pids(cg);
  REQUIRE(pids.size() == 4);
  CHECK(std::vector<pid_t>(pids.begin(), pids.begin() + 2) == std::vector<pid_t>{10, 11});
  std::sort(pids.begin(), pids.end());
  CHECK(pids == std::vector<pid_t>{10, 11, 20, 30});
  CHECK(read_procs(cg + "/gone") == std::nullopt);
  CHECK(read_procs(cg + "/b") == std::vector<pid_t>{});
  CHECK(tree_pids((t.root / "missing").string()).empty());
}

TEST_CASE("the freezer's state is the \"frozen\" line of cgroup.events", "[unit]") {
  FakeTree t;
  put(t.root / "f/cgroup.events", "populated 1\nfrozen 1\n");
  put(t.root / "t/cgroup.events", "populated 1\nfrozen 0\n");
  put(t.root / "old/cgroup.events", "populated 1\n");  // no freezer: never frozen
  put(t.root / "odd/cgroup.events", "unfrozen 1\nfrozen 10\n");
  CHECK(is_frozen((t.root / "f").string()));
  CHECK_FALSE(is_frozen((t.root / "t").string()));
  CHECK_FALSE(is_frozen((t.root / "old").string()));
  CHECK_FALSE(is_frozen((t.root / "odd").string()));
  CHECK_THROWS_AS(is_frozen((t.root / "missing").string()), Error);
}

TEST_CASE("try_read_file: the text, or nullopt for anything unreadable", "[unit]") {
  FakeTree t;
  put(t.root / "memory.max", "max\n");
  CHECK(try_read_file((t.root / "memory.max").string()) == "max\n");
  CHECK(try_read_file((t.root / "pids.max").string()) == std::nullopt);
  CHECK(try_read_file(t.root.string()) == std::nullopt);  // a directory
}

TEST_CASE("flat_key reads one key of a \"key value\" file, whole keys only", "[unit]") {
  CHECK(cgroup::flat_key("populated 1\nfrozen 0\n", "frozen") == "0");
  CHECK(cgroup::flat_key("populated 1\nfrozen 1", "frozen") == "1");
  CHECK(cgroup::flat_key("frozenX 1\n", "frozen") == std::nullopt);
  CHECK(cgroup::flat_key("", "frozen") == std::nullopt);
  CHECK(cgroup::flat_number("usage_usec 1500\noom_kill 3\n", "oom_kill") == 3);
  CHECK(cgroup::flat_number("oom_kill max\n", "oom_kill") == std::nullopt);
}
