// Integration: quick mode's default capabilities are podman's (no NET_RAW, MKNOD or
// AUDIT_WRITE), and ping still works in its own network namespace through ICMP datagram
// sockets (net.ipv4.ping_group_range).
#include <catch2/catch.hpp>

#include <linux/capability.h>

#include <filesystem>
#include <sstream>

#include "support/harness.hpp"

using namespace vcrun::test;
namespace fs = std::filesystem;

namespace {

// A bundle rootfs (a private copy of busybox's) holding the ICMP probe as /bin/icmp_probe.
std::string rootfs_with_probe(const std::string& id) {
  std::string rootfs = make_bundle(id, default_config({"true"})) + "/rootfs";
  fs::copy_file(VCRUN_ICMP_PROBE, rootfs + "/bin/icmp_probe");
  return rootfs;
}

std::string status_line(const std::string& status, const std::string& key) {
  std::istringstream in(status);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key + ":", 0) == 0) return line.substr(key.size() + 1);
  return "";
}

}  // namespace

TEST_CASE("quick mode runs with podman's default capabilities", "[integration]") {
  auto rootfs = rootfs_with_probe(unique_id("qcaps"));
  auto r = run_vcrun({"run", "--rm", "--rootfs", rootfs, "--", "cat", "/proc/self/status"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  uint64_t want = 0;
  for (int cap : {CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL, CAP_NET_BIND_SERVICE,
                  CAP_SETFCAP, CAP_SETGID, CAP_SETPCAP, CAP_SETUID, CAP_SYS_CHROOT})
    want |= uint64_t{1} << cap;
  for (const char* set : {"CapEff", "CapPrm", "CapBnd"}) {
    INFO(set);
    CHECK(std::stoull(status_line(r.out, set), nullptr, 16) == want);
  }
  CHECK(std::stoull(status_line(r.out, "CapInh"), nullptr, 16) == 0);
}

TEST_CASE("quick mode pings without CAP_NET_RAW and cannot open raw sockets", "[integration]") {
  auto rootfs = rootfs_with_probe(unique_id("qping"));
  auto ping = run_vcrun({"run", "--rm", "--rootfs", rootfs, "--", "icmp_probe", "dgram", "127.0.0.1"});
  INFO(ping.out << ping.err);
  CHECK(ping.status == 0);
  CHECK(ping.out == "reply from 127.0.0.1\n");
  auto range = run_vcrun({"run", "--rm", "--rootfs", rootfs, "--", "cat", "/proc/sys/net/ipv4/ping_group_range"});
  CHECK(range.out == "0\t2147483647\n");
  auto raw = run_vcrun({"run", "--rm", "--rootfs", rootfs, "--", "icmp_probe", "raw"});
  INFO(raw.out << raw.err);
  CHECK(raw.status == 1);
  CHECK(raw.err.find("socket: Operation not permitted") != std::string::npos);
  // busybox's own raw-socket tool agrees.
  auto tr = run_vcrun({"run", "--rm", "--rootfs", rootfs, "--", "traceroute", "-n", "-m", "1", "127.0.0.1"});
  CHECK(tr.status != 0);
  CHECK(tr.err.find("Operation not permitted") != std::string::npos);
}
