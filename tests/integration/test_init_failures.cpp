// Integration: what the init does between clone and execve, seen from the client: which
// descriptors it holds, which syscalls it needs after the seccomp filter, and how a
// failure before execve reaches `create`, `start` and `run` (message and exit status).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support/harness.hpp"

using namespace vcrun::test;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A profile that allows everything but close_range, as most profiles written before
// close_range existed effectively do.
nlohmann::json seccomp_without_close_range() {
  return {{"defaultAction", "SCMP_ACT_ALLOW"},
          {"architectures", {"SCMP_ARCH_X86_64"}},
          {"syscalls", {{{"names", {"close_range"}}, {"action", "SCMP_ACT_ERRNO"}}}}};
}

}  // namespace

TEST_CASE("nothing after the seccomp filter needs close_range", "[integration]") {
  auto config = default_config({"echo", "ran"});
  config["linux"]["seccomp"] = seccomp_without_close_range();
  SECTION("run") {
    auto id = unique_id("nocr");
    auto r = run_vcrun({"run", "--bundle", make_bundle(id, config), id});
    INFO(r.err);
    CHECK(r.status == 0);
    CHECK(r.out == "ran\n");
    run_vcrun({"delete", "--force", id});
  }
  SECTION("with the built-in init and a preserved fd") {
    auto id = unique_id("nocri");
    config["vcrun"]["init"] = true;
    auto r = run({"/bin/sh", "-c",
                  "exec 3</dev/null; exec \"$@\"", "sh", vcrun_binary(), "--root",
                  runtime_root(), "run", "--preserve-fds", "1", "--bundle",
                  make_bundle(id, config), id});
    INFO(r.err);
    CHECK(r.status == 0);
    CHECK(r.out == "ran\n");
    run_vcrun({"delete", "--force", id});
  }
}

TEST_CASE("a created container holds none of the caller's descriptors", "[integration]") {
  auto id = unique_id("fds");
  auto bundle = make_bundle(id, default_config({"sleep", "60"}));
  auto lock_path = work_dir() + "/" + id + ".lock";
  // The caller holds a lock and a pipe's write end, both inheritable, while it creates.
  int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT, 0600);
  REQUIRE(lock >= 0);
  REQUIRE(::flock(lock, LOCK_EX) == 0);
  int p[2];
  REQUIRE(::pipe2(p, O_NONBLOCK) == 0);  // a held write end fails the read, not hangs it
  auto r = run_vcrun_detached({"create", id, "--bundle", bundle});
  INFO(r.err);
  REQUIRE(r.status == 0);
  ::close(lock);
  ::close(p[1]);
  // The reader sees EOF at once: nobody else holds the write end.
  pollfd pfd{p[0], POLLIN, 0};
  CHECK(::poll(&pfd, 1, 2000) == 1);
  char c;
  CHECK(::read(p[0], &c, 1) == 0);
  ::close(p[0]);
  // And the lock is free again.
  int again = ::open(lock_path.c_str(), O_RDWR | O_CLOEXEC);
  REQUIRE(again >= 0);
  CHECK(::flock(again, LOCK_EX | LOCK_NB) == 0);
  ::close(again);
  CHECK(run_vcrun({"delete", "--force", id}).status == 0);
}

TEST_CASE("a missing command fails create and run with runc's message and status 127",
          "[integration]") {
  SECTION("not in $PATH") {
    auto id = unique_id("nocmd");
    auto r = run_vcrun({"run", "--bundle", make_bundle(id, default_config({"nope"})), id});
    CHECK(r.status == 127);
    CHECK(contains(r.err, "exec: \"nope\": executable file not found in $PATH"));
    CHECK(run_vcrun({"state", id}).status != 0);  // nothing left behind
  }
  SECTION("an absolute path, at create") {
    auto id = unique_id("nopath");
    auto r = run_vcrun_detached({"create", id, "--bundle",
                                 make_bundle(id, default_config({"/nope"}))});
    CHECK(r.status == 127);
    CHECK(contains(r.err, "no such file or directory"));
    CHECK(run_vcrun({"state", id}).status != 0);
  }
}

TEST_CASE("a command that is not executable exits 126 from run and from start",
          "[integration]") {
  auto id = unique_id("noexec");
  auto bundle = make_bundle(id, default_config({"/notexec"}));
  {
    std::ofstream(bundle + "/rootfs/notexec") << "#!/bin/sh\necho hi\n";
  }
  std::filesystem::permissions(bundle + "/rootfs/notexec", std::filesystem::perms(0644));
  auto r = run_vcrun({"run", "--bundle", bundle, id});
  CHECK(r.status == 126);
  CHECK(contains(r.err, "Permission denied"));

  auto id2 = unique_id("noexec2");
  r = run_vcrun_detached({"create", id2, "--bundle", bundle});
  INFO(r.err);
  REQUIRE(r.status == 0);
  r = run_vcrun({"start", id2});
  CHECK(r.status == 126);
  CHECK(contains(r.err, "exec /notexec: Permission denied"));
  CHECK(run_vcrun({"delete", "--force", id2}).status == 0);
}

TEST_CASE("start fails with the error of a failing startContainer hook", "[integration]") {
  auto id = unique_id("starthook");
  auto config = default_config({"true"});
  config["hooks"]["startContainer"] = {
      {{"path", "/bin/sh"}, {"args", {"sh", "-c", "echo hook-broke >&2; exit 3"}}}};
  auto r = run_vcrun_detached({"create", id, "--bundle", make_bundle(id, config)});
  INFO(r.err);
  REQUIRE(r.status == 0);
  r = run_vcrun({"start", id});
  CHECK(r.status != 0);
  CHECK(contains(r.err, "hooks.startContainer"));
  CHECK(run_vcrun({"delete", "--force", id}).status == 0);
}
