// Helpers for the [vm] cgroup tests: controller checks with SKIP, children in a cgroup.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "base/fs_util.hpp"
#include "cgroup/hierarchy.hpp"
#include "runtime/state/state.hpp"
#include "support/harness.hpp"

namespace vcrun::cgtest {

inline bool have_controller(const std::string& c) {
  try {
    return cgroup::controllers_of(cgroup::cgroup2_mount().mount_point).count(c) > 0;
  } catch (const std::exception&) {
    return false;
  }
}

inline std::string skip_message(const std::string& c) {
  std::string mp = "(no cgroup2 mount)";
  try {
    mp = cgroup::cgroup2_mount().mount_point;
  } catch (const std::exception&) {
  }
  return "SKIP: " + c + " controller not available in " + mp;
}

// Use as: REQUIRE_CONTROLLER("memory"); at the top of a test case.
#define REQUIRE_CONTROLLER(c)                   \
  do {                                          \
    if (!vcrun::cgtest::have_controller(c)) {   \
      WARN(vcrun::cgtest::skip_message(c));     \
      return;                                   \
    }                                           \
  } while (0)

using vcrun::exists;  // base/fs_util.hpp

inline std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

inline std::string read(const std::string& p) { return trim(read_file(p)); }

// Value of `key` in a flat-keyed file such as cpu.stat or memory.events.
inline uint64_t keyed(const std::string& file, const std::string& key) {
  std::istringstream in(read_file(file));
  std::string k;
  uint64_t v;
  while (in >> k >> v)
    if (k == key) return v;
  return 0;
}

// Forks a child that moves itself into `cgroup` and runs `body`; its return is the exit code.
inline pid_t spawn_in(const std::string& cgroup, const std::function<int()>& body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    try {
      write_existing(cgroup + "/cgroup.procs", "0");
      ::_exit(body());
    } catch (...) {
      ::_exit(120);
    }
  }
  return pid;
}

// Wait status of pid, or -1 after `seconds`.
inline int wait_for(pid_t pid, int seconds = 60) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0) return -1;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Detached containers inherit vcrun's stdio; the harness reads until EOF, so a detached
// container's process lets go of it first.
inline const std::string kQuiet = "exec </dev/null >/dev/null 2>&1; ";

// The cgroup vcrun makes for container `id` without a linux.cgroupsPath.
// The cgroup vcrun gives container `id` of the tests' state root (no linux.cgroupsPath).
inline std::string cgroup_of(const std::string& id) {
  return cgroup::container_dir("", state::Store(test::runtime_root()).cgroup_name(id));
}

// wbytes of device `dev` ("MAJ:MIN") in the cgroup's io.stat.
inline uint64_t io_written(const std::string& cgroup, const std::string& dev) {
  std::istringstream in(read_file(cgroup + "/io.stat"));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(dev + " ", 0) != 0) continue;
    auto at = line.find(" wbytes=");
    if (at != std::string::npos) return std::strtoull(line.c_str() + at + 8, nullptr, 10);
  }
  return 0;
}

// The disk a test may overwrite: tests/vm/run --disk gives the guest one and names it in
// VCRUN_TEST_SCRATCH_DISK. nullopt (after a SKIP line) without one.
struct ScratchDisk {
  std::string path;
  unsigned major = 0, minor = 0;
  std::string dev;  // "MAJ:MIN"
};
inline std::optional<ScratchDisk> scratch_disk() {
  const char* disk = std::getenv("VCRUN_TEST_SCRATCH_DISK");
  if (!disk || !*disk) {
    WARN("SKIP: no scratch disk (VCRUN_TEST_SCRATCH_DISK; tests/vm/run --disk MB gives one)");
    return std::nullopt;
  }
  struct stat st {};
  REQUIRE(::stat(disk, &st) == 0);
  REQUIRE(S_ISBLK(st.st_mode));
  ScratchDisk d{disk, major(st.st_rdev), minor(st.st_rdev), ""};
  d.dev = std::to_string(d.major) + ":" + std::to_string(d.minor);
  return d;
}

}  // namespace vcrun::cgtest
