// Test support for the network tests: a network namespace the test makes (the containers'
// "host", so bridges, veths, qdiscs and nftables rules never touch the machine's own), and
// running this thread inside it.
#pragma once

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "support/harness.hpp"

namespace vcrun::test {

// The output of a command that must succeed.
inline std::string must(const Result& r, const std::string& what) {
  INFO(what << ": " << r.out << r.err);
  REQUIRE(r.status == 0);
  return r.out;
}

inline Result sh(const std::string& cmd) { return run({"/bin/sh", "-c", cmd}); }

// A network namespace made with `ip netns add` (loopback up), deleted at scope exit.
struct Netns {
  std::string name;
  explicit Netns(const std::string& tag) : name("vcrun-test-" + std::to_string(::getpid()) + "-" + tag) {
    must(run({"/usr/sbin/ip", "netns", "add", name}), "ip netns add");
    must(run({"/usr/sbin/ip", "-n", name, "link", "set", "lo", "up"}), "lo up");
  }
  ~Netns() { run({"/usr/sbin/ip", "netns", "del", name}); }
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;
  std::string path() const { return "/run/netns/" + name; }
};

// This thread (and every process it starts: vcrun, ip, nft, tc) in `ns` until scope exit.
// setns, not `ip netns exec`: that one remounts /sys, hiding the cgroup2 mount from vcrun.
struct Inside {
  int home;
  explicit Inside(const Netns& ns) : home(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) {
    int fd = ::open(ns.path().c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    REQUIRE(::setns(fd, CLONE_NEWNET) == 0);
    ::close(fd);
  }
  ~Inside() {
    if (::setns(home, CLONE_NEWNET) != 0) std::abort();  // later tests must not run in here
    ::close(home);
  }
  Inside(const Inside&) = delete;
  Inside& operator=(const Inside&) = delete;
};

}  // namespace vcrun::test
