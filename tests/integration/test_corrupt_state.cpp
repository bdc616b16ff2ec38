// Integration: a running container whose state.json was damaged is listed as `unknown`,
// and delete --force removes its processes and cgroup instead of orphaning them.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cgroup/hierarchy.hpp"
#include "support/harness.hpp"

namespace fs = std::filesystem;
using namespace vcrun::test;

namespace {

// Starts `sleep 60` detached with `config`, then truncates its state.json; returns the pid.
pid_t start_and_corrupt(const std::string& id, nlohmann::json config) {
  auto r = run_vcrun_detached({"run", "--detach", "--bundle", make_bundle(id, config), id});
  INFO(r.err);
  REQUIRE(r.status == 0);
  const std::string state = runtime_root() + "/" + id + "/state.json";
  pid_t pid = 0;
  {
    std::ifstream in(state);
    pid = nlohmann::json::parse(in)["pid"].get<pid_t>();
  }
  fs::resize_file(state, 50);
  return pid;
}

bool gone_within(pid_t pid, int ms) {
  for (int i = 0; i < ms / 20 && process_alive(pid); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return !process_alive(pid);
}

}  // namespace

TEST_CASE("a container with a corrupt state.json is listed as unknown and delete --force kills it",
          "[integration]") {
  auto id = unique_id("corrupt");
  pid_t pid = start_and_corrupt(id, default_config({"sleep", "60"}));
  const std::string cgroup = vcrun::cgroup::container_dir("", id);
  REQUIRE(process_alive(pid));

  auto list = run_vcrun({"list", "--format", "json"});
  INFO(list.err);
  auto entries = nlohmann::json::parse(list.out);
  bool listed = false;
  for (const auto& e : entries)
    if (e["id"] == id) listed = e["status"] == "unknown";
  CHECK(listed);

  auto plain = run_vcrun({"delete", id});
  CHECK(plain.status != 0);
  CHECK(std::count(plain.err.begin(), plain.err.end(), '\n') == 1);

  auto d = run_vcrun({"delete", "--force", id});
  INFO(d.err);
  CHECK(d.status == 0);
  CHECK(gone_within(pid, 2000));
  CHECK(!fs::exists(cgroup));
  CHECK(!fs::exists(runtime_root() + "/" + id));
  if (process_alive(pid)) ::kill(pid, SIGKILL);
}

TEST_CASE("delete --force of a corrupt container empties its cgroupsPath cgroup", "[integration]") {
  const std::string top = "/vcrun-t" + std::to_string(::getpid()) + "-corrupt";
  const std::string dir = vcrun::cgroup::cgroup2_mount().mount_point + top;
  auto config = default_config({"sleep", "60"});
  config["linux"]["cgroupsPath"] = top + "/c";
  auto id = unique_id("corruptcg");
  pid_t pid = start_and_corrupt(id, config);
  auto d = run_vcrun({"delete", "--force", id});
  INFO(d.err);
  CHECK(d.status == 0);
  CHECK(gone_within(pid, 2000));
  CHECK(!fs::exists(runtime_root() + "/" + id));
  if (process_alive(pid)) ::kill(pid, SIGKILL);
  // Kept: without the state, vcrun cannot tell whether it made it.
  CHECK(::rmdir((dir + "/c").c_str()) == 0);
  CHECK(::rmdir(dir.c_str()) == 0);
}
