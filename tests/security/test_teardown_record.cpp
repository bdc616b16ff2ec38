// [security] delete --force and a tampered teardown record (issue 22, item 10): a record
// naming a sibling's cgroup, an empty record, and a record whose id names a sibling. vcrun
// must act only on what the container's id and --root give, and still leave nothing.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/harness.hpp"

namespace fs = std::filesystem;
using namespace vcrun::test;
using nlohmann::json;

namespace {

struct Started {
  std::string id;
  pid_t pid = 0;
  std::string cgroup;
};

// `sleep 60` detached; its pid and cgroup from its state.
Started start(const std::string& tag) {
  Started s;
  s.id = unique_id(tag);
  auto r = run_vcrun_detached({"run", "--detach", "--bundle", make_bundle(s.id, default_config({"sleep", "60"})), s.id});
  INFO(r.err);
  REQUIRE(r.status == 0);
  std::ifstream in(runtime_root() + "/" + s.id + "/state.json");
  json st = json::parse(in);
  s.pid = st["pid"].get<pid_t>();
  s.cgroup = st["cgroupPath"].get<std::string>();
  REQUIRE(!s.cgroup.empty());
  return s;
}

std::string state_file(const std::string& id) { return runtime_root() + "/" + id + "/state.json"; }

json load(const std::string& id) {
  std::ifstream in(state_file(id));
  return json::parse(in);
}

void store(const std::string& id, const json& j) { std::ofstream(state_file(id)) << j.dump(); }

bool gone_within(pid_t pid, int ms) {
  for (int i = 0; i < ms / 20 && process_alive(pid); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return !process_alive(pid);
}

bool cgroup_has(const std::string& cgroup, pid_t pid) {
  std::ifstream in(cgroup + "/cgroup.procs");
  for (pid_t p; in >> p;)
    if (p == pid) return true;
  return false;
}

}  // namespace

TEST_CASE("delete --force of a record naming a sibling's cgroup leaves the sibling running", "[security]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  Started a = start("rec-a");
  Started b = start("rec-b");
  json st = load(a.id);
  for (auto& entry : st["teardown"])
    if (entry.contains("cgroup")) entry["cgroup"]["path"] = b.cgroup;
  st["cgroupPath"] = b.cgroup;
  store(a.id, st);
  // CONTROL: the record is well-formed (vcrun reads it) and names B's live cgroup.
  auto state = run_vcrun({"state", a.id});
  INFO(state.err);
  CHECK(state.status == 0);
  CHECK(cgroup_has(b.cgroup, b.pid));

  auto del = run_vcrun({"delete", "--force", a.id});
  INFO(del.err);
  CHECK(del.status == 0);
  CHECK(del.err.find("not removing cgroup " + b.cgroup) != std::string::npos);
  CHECK(process_alive(b.pid));
  CHECK(cgroup_has(b.cgroup, b.pid));
  CHECK(run_vcrun({"state", b.id}).status == 0);
  // A itself is gone: processes, cgroup, state.
  CHECK(gone_within(a.pid, 5000));
  CHECK(!fs::exists(a.cgroup));
  CHECK(!fs::exists(runtime_root() + "/" + a.id));
  run_vcrun({"delete", "--force", b.id});
  CHECK(gone_within(b.pid, 5000));
}

TEST_CASE("delete --force of an emptied teardown record still removes the container's cgroup", "[security]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  Started a = start("rec-empty");
  json st = load(a.id);
  st["teardown"] = json::array();
  store(a.id, st);
  // CONTROL: the cgroup is there and holds the container's init.
  CHECK(cgroup_has(a.cgroup, a.pid));

  auto del = run_vcrun({"delete", "--force", a.id});
  INFO(del.err);
  CHECK(del.status == 0);
  CHECK(gone_within(a.pid, 5000));
  CHECK(!fs::exists(a.cgroup));
  CHECK(!fs::exists(runtime_root() + "/" + a.id));
}

TEST_CASE("delete --force of a record whose id names a sibling removes neither the sibling nor its state",
          "[security]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  Started a = start("rec-id-a");
  Started b = start("rec-id-b");
  json st = load(a.id);
  st["id"] = b.id;
  store(a.id, st);
  // CONTROL: B is running and has its state.
  CHECK(fs::exists(state_file(b.id)));

  auto del = run_vcrun({"delete", "--force", a.id});
  INFO(del.err);
  CHECK(del.status == 0);
  CHECK(process_alive(b.pid));
  CHECK(fs::exists(state_file(b.id)));
  CHECK(run_vcrun({"state", b.id}).status == 0);
  CHECK(gone_within(a.pid, 5000));
  CHECK(!fs::exists(a.cgroup));
  CHECK(!fs::exists(runtime_root() + "/" + a.id));
  run_vcrun({"delete", "--force", b.id});
  CHECK(gone_within(b.pid, 5000));
}
