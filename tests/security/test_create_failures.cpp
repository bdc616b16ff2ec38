// [security] `create` whose init fails: a bundle that breaks the init's way to `start`
// (a mount over /proc, where the init reopens the exec fifo) must make `create` fail with
// the init's own error and leave nothing behind, not exit 0 with a dead container.
// And a config.json that is not a regular file fails before anything is read or made.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "support/harness.hpp"

using namespace vcrun::test;
using nlohmann::json;

namespace {

// `create` of `config`; the outcome, with whatever it left deleted afterwards.
Result create(const std::string& id, const json& config) {
  auto r = run_vcrun_detached({"create", id, "--bundle", make_bundle(id, config)});
  return r;
}

void expect_refused_and_gone(const Result& r, const std::string& id, const std::string& error) {
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.status != 0);
  CHECK(r.err.find(error) != std::string::npos);
  auto st = run_vcrun({"state", id});
  CHECK(st.status != 0);
  CHECK(st.err.find("does not exist") != std::string::npos);
  CHECK_FALSE(state_dir_exists(id));
  run_vcrun({"delete", "--force", id});
}

}  // namespace

TEST_CASE("create fails and leaves nothing when a mount covers the init's /proc", "[security]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  // CONTROL: the same bundle without the covering mount is created and waits for start.
  auto config = default_config({"/bin/true"});
  auto ok_id = unique_id("fifo-ok");
  auto ok = create(ok_id, config);
  INFO(ok.err);
  CHECK(ok.status == 0);
  CHECK(json::parse(run_vcrun({"state", ok_id}).out)["status"] == "created");
  run_vcrun({"delete", "--force", ok_id});

  // A tmpfs over /proc (after the proc mount): /proc/self/fd is gone inside the root.
  auto tmpfs = config;
  tmpfs["mounts"].push_back({{"destination", "/proc"}, {"type", "tmpfs"}, {"source", "tmpfs"},
                             {"options", json::array({"nosuid", "nodev"})}});
  auto id = unique_id("fifo-tmpfs");
  expect_refused_and_gone(create(id, tmpfs), id, "/proc does not lead to the exec fifo");

  // A bind of another directory over /proc/self's view: the same class, another mount.
  auto bind = config;
  std::string empty = work_dir() + "/empty-proc";
  ::mkdir(empty.c_str(), 0755);
  bind["mounts"].push_back({{"destination", "/proc"}, {"type", "bind"}, {"source", empty},
                            {"options", json::array({"rbind", "ro"})}});
  auto bind_id = unique_id("fifo-bind");
  expect_refused_and_gone(create(bind_id, bind), bind_id, "/proc does not lead to the exec fifo");
}

TEST_CASE("create with 3,000 mounts: created and startable, or refused with the init's error",
          "[security]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  // CONTROL: 3,000 ordinary mounts (tmpfs under /tmp) are created, wait for start, and run.
  auto config = default_config({"/bin/true"});
  for (int i = 0; i < 3000; ++i)
    config["mounts"].push_back({{"destination", "/tmp/m" + std::to_string(i)}, {"type", "tmpfs"},
                                {"source", "tmpfs"}, {"options", json::array({"size=4k"})}});
  auto id = unique_id("mounts3k");
  auto r = create(id, config);
  {
    INFO("stderr: " << r.err);
    CHECK(r.status == 0);
    auto st = run_vcrun({"state", id});
    CHECK(json::parse(st.out)["status"] == "created");
    auto start = run_vcrun({"start", id});
    INFO(start.err);
    CHECK(start.status == 0);
    run_vcrun({"delete", "--force", id});
  }
  // The 3,000th over /proc: the failure surfaces in `create`, after all the others.
  config["mounts"].back() = {{"destination", "/proc"}, {"type", "tmpfs"}, {"source", "tmpfs"}};
  auto bad = unique_id("mounts3kproc");
  expect_refused_and_gone(create(bad, config), bad, "/proc does not lead to the exec fifo");
}

TEST_CASE("a bundle whose config.json is a FIFO or a device fails at once, creating nothing", "[security]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  auto id = unique_id("fifocfg");
  auto bundle = make_bundle(id, default_config({"/bin/true"}));
  const std::string cfg = bundle + "/config.json";
  REQUIRE(::unlink(cfg.c_str()) == 0);
  REQUIRE(::mkfifo(cfg.c_str(), 0644) == 0);
  // CONTROL: a plain read of that name blocks (no writer ever comes): the attack is real.
  auto control = run({"/usr/bin/timeout", "2", "/bin/cat", cfg});
  CHECK(control.status == 124);
  for (const char* verb : {"create", "run"}) {
    INFO(verb);
    auto r = run({"/usr/bin/timeout", "10", vcrun_binary(), "--root", runtime_root(), verb, id, "--bundle", bundle});
    INFO("stderr: " << r.err);
    CHECK(r.status == 1);
    CHECK(r.err.find("config.json: not a regular file") != std::string::npos);
    CHECK_FALSE(state_dir_exists(id));
  }
  // A device: /dev/zero would feed the parser without end.
  REQUIRE(::unlink(cfg.c_str()) == 0);
  REQUIRE(::symlink("/dev/zero", cfg.c_str()) == 0);
  auto r = run({"/usr/bin/timeout", "10", vcrun_binary(), "--root", runtime_root(), "create", id, "--bundle", bundle});
  INFO("stderr: " << r.err);
  CHECK(r.status == 1);
  CHECK(r.err.find("config.json: not a regular file") != std::string::npos);
  CHECK_FALSE(state_dir_exists(id));
}
