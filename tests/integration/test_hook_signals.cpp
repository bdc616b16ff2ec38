// Integration: a hook started by `vcrun run` does not inherit the signals run blocks to
// forward them, so it and anything it leaves running can be stopped with SIGTERM; what a
// runtime-side hook leaves running is killed when the container is deleted.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <cstdlib>

#include "support/harness.hpp"

using namespace vcrun::test;

TEST_CASE("hooks of a foreground run start with no signal blocked", "[integration]") {
  auto id = unique_id("hooksig");
  auto config = default_config({"true"});
  // grep itself, not through sh: dash clears the mask it inherits at startup.
  config["hooks"] = {{"prestart", {{{"path", "/bin/grep"},
                                    {"args", {"grep", "SigBlk", "/proc/self/status"}}}}}};
  auto r = run_vcrun({"run", "--rm", id, "--bundle", make_bundle(id, config)});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out == "SigBlk:\t0000000000000000\n");
}

namespace {

// A runtime-side hook that leaves `sleep 600` running and writes its pid to `pid_file`.
nlohmann::json leaves_a_child(const std::string& pid_file) {
  return {{"path", "/bin/sh"},
          {"args", {"sh", "-c", "sleep 600 </dev/null >/dev/null 2>&1 & echo $! > " + pid_file +
                                    "; cat /proc/self/cgroup > " + pid_file + ".cgroup"}}};
}

pid_t read_pid(const std::string& file) {
  auto r = run({"/bin/cat", file});
  return r.status == 0 ? std::atoi(r.out.c_str()) : 0;
}

bool gone_within_5s(pid_t pid) {
  for (int i = 0; i < 500 && process_alive(pid); ++i) ::usleep(10000);
  return !process_alive(pid);
}

}  // namespace

TEST_CASE("what a prestart or poststop hook leaves running goes with the container",
          "[integration]") {
  for (const char* point : {"prestart", "poststop"}) {
    INFO(point);
    auto id = unique_id("hookchild");
    std::string pid_file = work_dir() + "/" + id + ".pid";
    auto config = default_config({"sleep", "60"});
    config["hooks"] = {{point, {leaves_a_child(pid_file)}}};
    auto c = run_vcrun_detached({"create", id, "--bundle", make_bundle(id, config)});
    INFO(c.err);
    REQUIRE(c.status == 0);
    if (std::string(point) == "prestart") {
      pid_t child = read_pid(pid_file);
      REQUIRE(child > 0);
      CHECK(process_alive(child));
      CHECK(run({"/bin/cat", pid_file + ".cgroup"}).out.find("/vcrun-hooks/" + id + "@") !=
            std::string::npos);
      auto d = run_vcrun({"delete", "--force", id});
      INFO(d.err);
      CHECK(d.status == 0);
      CHECK(gone_within_5s(child));
      if (process_alive(child)) ::kill(child, SIGKILL);
    } else {
      auto d = run_vcrun({"delete", "--force", id});
      INFO(d.err);
      CHECK(d.status == 0);
      pid_t child = read_pid(pid_file);
      REQUIRE(child > 0);  // the hook ran during delete
      CHECK(gone_within_5s(child));
      if (process_alive(child)) ::kill(child, SIGKILL);
    }
  }
}
