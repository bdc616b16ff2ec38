// Integration: `vcrun run` and SIGTERM. Before the container's process exists there is
// nothing to forward to, so vcrun dies of it; afterwards it forwards it to the process.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "cgroup/hierarchy.hpp"
#include "support/harness.hpp"

namespace fs = std::filesystem;
using namespace vcrun::test;

namespace {

// Starts `vcrun run` with stdio on /dev/null; returns its pid.
pid_t spawn_run(const std::string& id, const std::string& bundle) {
  std::vector<std::string> argv = {vcrun_binary(), "--root", runtime_root(), "run", id,
                                   "--bundle", bundle};
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0), ::dup2(null, 1), ::dup2(null, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

// The exit status of `pid` within `limit`, or -1 (then it is still running).
int wait_within(pid_t pid, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    int status;
    if (::waitpid(pid, &status, WNOHANG) == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

TEST_CASE("run dies of SIGTERM while it waits before the container's process exists",
          "[integration]") {
  // An exclusive flock on the container's parent cgroup holds run in the cgroup setup
  // (the CPU planner's lock), before the init is cloned.
  const std::string top = "/vcrun-t" + std::to_string(::getpid()) + "-sig";
  const std::string parent = vcrun::cgroup::cgroup2_mount().mount_point + top;
  REQUIRE(::mkdir(parent.c_str(), 0755) == 0);
  int lock = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(::flock(lock, LOCK_EX) == 0);
  auto config = default_config({"true"});
  config["linux"]["cgroupsPath"] = top + "/c";
  auto id = unique_id("sigearly");
  pid_t vc = spawn_run(id, make_bundle(id, config));
  CHECK(wait_within(vc, std::chrono::milliseconds(500)) == -1);  // held by the lock
  ::kill(vc, SIGTERM);
  int status = wait_within(vc, std::chrono::seconds(5));
  CHECK(status == 128 + SIGTERM);
  if (status == -1) {
    ::kill(vc, SIGKILL);
    ::waitpid(vc, nullptr, 0);
  }
  ::close(lock);
  // What it made stays for delete --force, as after SIGKILL.
  if (fs::exists(runtime_root() + "/" + id)) CHECK(run_vcrun({"delete", "--force", id}).status == 0);
  CHECK(!fs::exists(parent + "/c"));
  ::rmdir((parent + "/c").c_str());
  CHECK(::rmdir(parent.c_str()) == 0);
}

TEST_CASE("run forwards SIGTERM once the container's process runs", "[integration]") {
  auto config = default_config({"sh", "-c", "trap 'exit 7' TERM; while :; do sleep 0.05; done"});
  auto id = unique_id("sigfwd");
  pid_t vc = spawn_run(id, make_bundle(id, config));
  bool running = false;
  for (int i = 0; i < 250 && !running; ++i) {
    auto s = run_vcrun({"state", id});
    running = s.status == 0 && s.out.find("\"running\"") != std::string::npos;
    if (!running) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(running);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the trap is set
  ::kill(vc, SIGTERM);
  int status = wait_within(vc, std::chrono::seconds(10));
  CHECK(status == 7);
  if (status == -1) {
    ::kill(vc, SIGKILL);
    ::waitpid(vc, nullptr, 0);
  }
  if (fs::exists(runtime_root() + "/" + id)) run_vcrun({"delete", "--force", id});
}
