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
#include <vector>

#include <filesystem>

#include "net/state/leases.hpp"
#include "support/harness.hpp"

namespace vcrun::test {

// The output of a command that must succeed.
inline std::string must(const Result& r, const std::string& what) {
  INFO(what << ": " << r.out << r.err);
  REQUIRE(r.status == 0);
  return r.out;
}

inline Result sh(const std::string& cmd) { return run({"/bin/sh", "-c", cmd}); }

// The lease directory vcrun keeps for the network namespace this thread is in (a kept
// bridge's leases outlive their users, as the bridge does): removed by the tests that made
// the namespace, which the kernel removes with the bridge in it.
inline void remove_lease_dir_here() {
  std::error_code ec;
  std::filesystem::remove_all(vcrun::net::netns_lease_dir(), ec);
}

// A network namespace made with `ip netns add` (loopback up), deleted at scope exit with
// vcrun's lease directory for it.
struct Netns {
  std::string name;
  explicit Netns(const std::string& tag) : name("vcrun-test-" + std::to_string(::getpid()) + "-" + tag) {
    must(run({"/usr/sbin/ip", "netns", "add", name}), "ip netns add");
    must(run({"/usr/sbin/ip", "-n", name, "link", "set", "lo", "up"}), "lo up");
  }
  ~Netns() {
    int home = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    int fd = ::open(path().c_str(), O_RDONLY | O_CLOEXEC);
    if (home >= 0 && fd >= 0 && ::setns(fd, CLONE_NEWNET) == 0) {
      remove_lease_dir_here();
      if (::setns(home, CLONE_NEWNET) != 0) std::abort();  // later tests must not run in there
    }
    if (fd >= 0) ::close(fd);
    if (home >= 0) ::close(home);
    run({"/usr/sbin/ip", "netns", "del", name});
  }
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

// This thread (and every process it starts) in a fresh, unnamed network namespace with lo
// up and `addresses` ("10.0.0.1/32", "fd00::1/128": IPv6 without duplicate detection) on
// it; back in the original one at scope exit. `ok`: all of that worked.
struct PrivateNetns {
  int original = -1;
  bool ok = false, entered = false;
  explicit PrivateNetns(const std::vector<std::string>& addresses) {
    original = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (original < 0 || ::unshare(CLONE_NEWNET) != 0) return;
    entered = true;
    ok = run({"/usr/sbin/ip", "link", "set", "lo", "up"}).status == 0;
    for (const auto& a : addresses) {
      std::vector<std::string> cmd = {"/usr/sbin/ip", "addr", "add", a, "dev", "lo"};
      if (a.find(':') != std::string::npos) cmd.push_back("nodad");
      ok = ok && run(cmd).status == 0;
    }
  }
  ~PrivateNetns() {
    if (original >= 0) {
      if (entered) remove_lease_dir_here();
      ::setns(original, CLONE_NEWNET);
      ::close(original);
    }
  }
  PrivateNetns(const PrivateNetns&) = delete;
  PrivateNetns& operator=(const PrivateNetns&) = delete;
};

}  // namespace vcrun::test
