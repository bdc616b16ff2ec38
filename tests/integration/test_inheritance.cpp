// Integration: what a container process inherits from whoever ran vcrun: only the file
// descriptors --preserve-fds names, and never the caller's session keyring.
#include <catch2/catch.hpp>

#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <thread>

#include "base/fs_util.hpp"
#include "support/harness.hpp"

using namespace vcrun::test;
using nlohmann::json;

namespace {

// Runs vcrun with `file` open on fd 3 (inheritable), as a socket-activating caller would,
// and fd 4 closed: the cases below rely on 4 being free (the first slot past the passed fd,
// and the one vcrun's --log file takes), whatever fds the shell that ran the tests holds.
Result run_vcrun_with_fd3(const std::string& file, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/bin/sh", "-c", "exec \"$@\" 3<\"$0\" 4<&-", file,
                                   vcrun_binary(), "--root", runtime_root()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

std::string data_file(const std::string& name, const std::string& content) {
  std::string path = work_dir() + "/" + name;
  std::ofstream(path) << content;
  return path;
}

// Puts this test process in a new session keyring holding a key only its possessors may
// see (no user/group/other permissions), so /proc/keys lists it exactly for processes
// whose session keyring is this one. Returns the key's description.
std::string caller_key() {
  REQUIRE(::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr) >= 0);
  std::string desc = "vcrun-test-key-" + std::to_string(::getpid());
  long key = ::syscall(SYS_add_key, "user", desc.c_str(), "secret", 6, KEY_SPEC_SESSION_KEYRING);
  REQUIRE(key >= 0);
  REQUIRE(::syscall(SYS_keyctl, KEYCTL_SETPERM, key, 0x3f000000) == 0);  // possessor: all
  return desc;
}

// A config that prints /proc/keys (vcrun spec masks it, as runc's does).
json keys_config(const std::vector<std::string>& args) {
  auto config = default_config(args);
  auto& masked = config["linux"]["maskedPaths"];
  masked.erase(std::remove(masked.begin(), masked.end(), "/proc/keys"), masked.end());
  return config;
}

}  // namespace

TEST_CASE("preserve-fds: passes the caller's fds 3.. to the container process, no more", "[integration]") {
  auto file = data_file("fd3-data", "from-the-caller\n");
  auto id = unique_id("fds");
  auto bundle = make_bundle(id, default_config({"sh", "-c", "cat <&3; ls /proc/self/fd"}));

  auto r = run_vcrun_with_fd3(file, {"run", "--preserve-fds", "1", id, "--bundle", bundle});
  INFO(r.err);
  CHECK(r.status == 0);
  // 0-2, the preserved 3, and ls's own directory fd: nothing of vcrun's.
  CHECK(r.out == "from-the-caller\n0\n1\n2\n3\n4\n");
  run_vcrun({"delete", "--force", id});

  // Without the flag the same caller's fd 3 does not reach the container (cat fails,
  // and ls's directory fd takes number 3).
  r = run_vcrun_with_fd3(file, {"run", id, "--bundle", bundle});
  CHECK(r.out == "0\n1\n2\n3\n");
  run_vcrun({"delete", "--force", id});
}

TEST_CASE("preserve-fds: create holds the fds until start, and exec passes them too", "[integration]") {
  auto file = data_file("fd3-create", "held-across-start\n");
  auto id = unique_id("fdcreate");
  auto bundle = make_bundle(id, default_config({"sh", "-c", "cat <&3 >/dev/stderr"}));
  std::string err = work_dir() + "/" + id + ".err";
  // create's container keeps its stdio: send it to a file so create itself can return.
  auto r = run({"/bin/sh", "-c", "e=$1; shift; exec \"$@\" 3<\"$0\" 2>\"$e\" >/dev/null </dev/null", file, err,
                vcrun_binary(), "--root", runtime_root(), "create", "--preserve-fds", "1", id,
                "--bundle", bundle});
  INFO(vcrun::read_file_if_exists(err).value_or(""));
  REQUIRE(r.status == 0);
  REQUIRE(run_vcrun({"start", id}).status == 0);
  std::string got;  // cat writes it in one write(2): it is there whole or not at all
  for (int i = 0; i < 500 && got.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    got = vcrun::read_file(err);
  }
  CHECK(got == "held-across-start\n");
  run_vcrun({"delete", "--force", id});

  auto running = unique_id("fdexec");
  auto sleeper = make_bundle(running, default_config({"sleep", "60"}));
  REQUIRE(run_vcrun_detached({"run", "--detach", running, "--bundle", sleeper}).status == 0);
  r = run_vcrun_with_fd3(file, {"exec", "--preserve-fds", "1", running, "--", "sh", "-c", "cat <&3"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "held-across-start\n");
  r = run_vcrun_with_fd3(file, {"exec", running, "--", "sh", "-c", "cat <&3"});
  CHECK(r.status != 0);
  CHECK(r.out.empty());
  run_vcrun({"delete", "--force", running});
}

TEST_CASE("preserve-fds: refuses a range the caller did not fill, creating nothing", "[integration]") {
  auto file = data_file("fd3-bad", "x\n");
  auto id = unique_id("fdbad");
  auto bundle = make_bundle(id, default_config({"true"}));
  // Only fd 3 is open: 4 would be a slot vcrun itself could fill with one of its own.
  auto r = run_vcrun_with_fd3(file, {"run", "--preserve-fds", "2", id, "--bundle", bundle});
  CHECK(r.status != 0);
  CHECK(r.err == "vcrun: --preserve-fds: fd 4 is not open (2 fds from 3 were asked for)\n");
  CHECK(run_vcrun({"state", id}).status != 0);
  // With --log, vcrun's log file takes fd 4: it is close-on-exec, so it is not passed on.
  r = run_vcrun_with_fd3(file, {"--log", work_dir() + "/" + id + ".log", "run", "--preserve-fds",
                                "2", id, "--bundle", bundle});
  CHECK(r.status != 0);
  CHECK(r.err == "vcrun: --preserve-fds: fd 4 is close-on-exec: not one the caller passed\n");
  CHECK(run_vcrun({"state", id}).status != 0);
  r = run_vcrun({"run", "--preserve-fds", "-1", id, "--bundle", bundle});
  CHECK(r.status != 0);
  CHECK(r.err.find("--preserve-fds") != std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(run_vcrun({"state", id}).status != 0);
}

TEST_CASE("a container never possesses the caller's session keyring", "[integration]") {
  auto desc = caller_key();
  // The probe sees its own key, so /proc/keys does tell possession apart.
  REQUIRE(vcrun::read_file("/proc/keys").find(desc) != std::string::npos);

  auto id = unique_id("keys");
  auto bundle = make_bundle(id, keys_config({"cat", "/proc/keys"}));
  auto r = run_vcrun({"run", id, "--bundle", bundle});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("_ses") != std::string::npos);  // it lists keyrings at all
  CHECK(r.out.find(desc) == std::string::npos);
  run_vcrun({"delete", "--force", id});

  // --no-new-keyring is the only way in: the same run then lists the key.
  r = run_vcrun({"run", "--no-new-keyring", id, "--bundle", bundle});
  REQUIRE(r.status == 0);
  CHECK(r.out.find(desc) != std::string::npos);
  run_vcrun({"delete", "--force", id});

  // exec follows the container's choice.
  for (bool keep : {false, true}) {
    auto running = unique_id(keep ? "keysexec-keep" : "keysexec");
    auto sleeper = make_bundle(running, keys_config({"sleep", "60"}));
    std::vector<std::string> args = {"run", "--detach", running, "--bundle", sleeper};
    if (keep) args.push_back("--no-new-keyring");
    REQUIRE(run_vcrun_detached(args).status == 0);
    r = run_vcrun({"exec", running, "--", "cat", "/proc/keys"});
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK((r.out.find(desc) != std::string::npos) == keep);
    run_vcrun({"delete", "--force", running});
  }
}
