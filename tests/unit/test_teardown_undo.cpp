// Unit: the order teardown::undo keeps around what it is handed (runtime/teardown/undo.hpp),
// with a record whose entries name nothing: no cgroup or network object is touched.

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/teardown/undo.hpp"

using namespace vcrun;

TEST_CASE("undo runs the poststop hooks before removing the state directory, and asks about the init only when it must",
          "[unit]") {
  std::vector<std::string> steps;
  teardown::Subject s;
  s.id = "u1";
  s.holder = "u1";
  s.made.record(cgroup::MadeHooksCgroup{""});  // "": nothing to remove
  s.init_alive = [&] {
    steps.push_back("init_alive");
    return false;
  };
  s.remove_state = [&] { steps.push_back("remove_state"); };
  teardown::undo(s, [&] { steps.push_back("poststop"); });
  // No init (pid 0): whether it lives is never read.
  CHECK(steps == std::vector<std::string>{"poststop", "remove_state"});

  // An init and no cgroup entry: it is ours to kill, so its liveness is read first (dead here).
  steps.clear();
  s.pid = 999999999;
  teardown::undo(s);
  CHECK(steps == std::vector<std::string>{"init_alive", "remove_state"});

  // A cgroup entry: undoing the cgroup kills what is in it, and the init is not asked about.
  steps.clear();
  s.made.record(cgroup::MadeCgroup{"", true});
  teardown::undo(s);
  CHECK(steps == std::vector<std::string>{"remove_state"});
}

TEST_CASE("undo's failure to remove the state directory reaches the caller", "[unit]") {
  teardown::Subject s;
  s.id = "u2";
  s.remove_state = [] { throw std::runtime_error("remove failed"); };
  CHECK_THROWS_WITH(teardown::undo(s), "remove failed");
}
