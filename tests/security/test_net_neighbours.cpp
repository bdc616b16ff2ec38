// Security: neighbours on one network stack. A host-mode container with a bind allowlist
// tries to listen on and send from a neighbour's address with every socket type (bind,
// IP_PKTINFO / IPV6_PKTINFO sources); a bridge-mode container tries to take over host ports
// and addresses that are not vcrun's to give (--publish / vcrun.network.publish). Each
// attack runs beside a control that shows it works where nothing stops it. Everything
// happens in network namespaces the test makes (addresses on their loopback or on veths).
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "support/harness.hpp"
#include "support/netns.hpp"

using namespace vcrun::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// The container's own addresses, a neighbour's (another container's or a host service's),
// and where the probes send to.
const char* const kMine4 = "10.214.0.1";
const char* const kTheirs4 = "10.214.0.2";
const char* const kDest4 = "10.214.0.9";
const char* const kMine6 = "fd00:214::1";
const char* const kTheirs6 = "fd00:214::2";
const char* const kDest6 = "fd00:214::9";
constexpr uint16_t kUdpPort = 9999;

// This process (and every vcrun it starts) in a fresh network namespace with the test
// addresses on lo and ICMP datagram sockets open to every group (so the attack does not
// depend on the sysctl); back in the original one at scope exit.
struct TestNetns : PrivateNetns {
  TestNetns()
      : PrivateNetns({std::string(kMine4) + "/32", std::string(kTheirs4) + "/32", std::string(kDest4) + "/32",
                      std::string(kMine6) + "/128", std::string(kTheirs6) + "/128", std::string(kDest6) + "/128"}) {
    std::ofstream("/proc/sys/net/ipv4/ping_group_range") << "0 2147483647\n";
  }
};

bool usable() {
  if (!is_root()) {
    std::printf("SKIP: needs root\n");
    return false;
  }
  for (const char* tool : {"/usr/sbin/ip", "/usr/sbin/nft"})
    if (!fs::exists(tool)) {
      std::printf("SKIP: %s is not installed\n", tool);
      return false;
    }
  return true;
}

// Runs `script` in a host-mode bundle container (no network namespace of its own) holding
// the probe, with the default bundle capabilities (CAP_NET_RAW among them) and, when
// `allow` is given, that bind allowlist.
Result host_mode(const std::string& script, const std::optional<std::vector<std::string>>& allow) {
  json c = default_config({"/bin/sh", "-c", script});
  auto& ns = c["linux"]["namespaces"];
  ns.erase(std::remove_if(ns.begin(), ns.end(), [](const json& n) { return n["type"] == "network"; }), ns.end());
  if (allow) c["vcrun"]["network"]["bindAllow"] = *allow;
  std::string id = unique_id("nn");
  std::string bundle = make_bundle(id, c);
  fs::copy_file(VCRUN_BIND_PROBE, bundle + "/rootfs/bin/bind_probe");
  auto r = run_vcrun({"run", "--rm", "--bundle", bundle, id});
  INFO(r.err);
  return r;
}

const std::vector<std::string> kAllow = {kMine4, kMine6};

// Listens where a probe sends (type udp: a UDP socket on dest:kUdpPort; icmp, raw: a raw
// ICMP socket seeing every echo request to dest) and says the source of what arrived.
class Receiver {
 public:
  Receiver(const std::string& type, const std::string& dest) : v6_(dest.find(':') != std::string::npos) {
    int family = v6_ ? AF_INET6 : AF_INET;
    udp_ = type == "udp";
    fd_ = udp_ ? ::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0)
               : ::socket(family, SOCK_RAW | SOCK_CLOEXEC, v6_ ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP});
    REQUIRE(fd_ >= 0);
    if (v6_) ::inet_pton(AF_INET6, dest.c_str(), &dest6_);
    else ::inet_pton(AF_INET, dest.c_str(), &dest4_);
    if (udp_) {
      sockaddr_storage ss{};
      socklen_t len;
      if (v6_) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(kUdpPort);
        a->sin6_addr = dest6_;
        len = sizeof *a;
      } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        a->sin_port = htons(kUdpPort);
        a->sin_addr = dest4_;
        len = sizeof *a;
      }
      REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) == 0);
    }
  }
  ~Receiver() { ::close(fd_); }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  // The source address of the first datagram or echo request to dest ("" after 1 s of nothing).
  std::string source() {
    for (;;) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 1000) != 1) return "";
      unsigned char buf[2048];
      sockaddr_storage from{};
      socklen_t len = sizeof from;
      ssize_t n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n <= 0) return "";
      char text[INET6_ADDRSTRLEN] = "";
      if (v6_) {
        if (!udp_ && (n < 1 || buf[0] != ICMP6_ECHO_REQUEST)) continue;
        ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&from)->sin6_addr, text, sizeof text);
        return text;
      }
      if (udp_) {
        ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&from)->sin_addr, text, sizeof text);
        return text;
      }
      // A raw IPv4 socket reads the IP header too.
      ip header;
      if (n < static_cast<ssize_t>(sizeof header)) continue;
      std::memcpy(&header, buf, sizeof header);
      size_t hl = header.ip_hl * 4u;
      if (n < static_cast<ssize_t>(hl + 1) || buf[hl] != ICMP_ECHO || header.ip_dst.s_addr != dest4_.s_addr) continue;
      ::inet_ntop(AF_INET, &header.ip_src, text, sizeof text);
      return text;
    }
  }

 private:
  bool v6_, udp_ = false;
  int fd_ = -1;
  in_addr dest4_{};
  in6_addr dest6_{};
};

struct Sent {
  std::string out;     // what the probe said
  std::string source;  // the source address the receiver saw, "" for nothing
};

// `bind_probe -s TYPE SRC DEST` in a host-mode container; what left, seen by a receiver.
Sent send_from(const std::string& type, const std::string& src, const std::string& dest,
               const std::optional<std::vector<std::string>>& allow) {
  Receiver rx(type, dest);
  auto r = host_mode("/bin/bind_probe -s " + type + " " + src + " " + dest + " " + std::to_string(kUdpPort), allow);
  return {r.out, rx.source()};
}

// A veth from the current namespace (192.0.2.1) to `remote` (192.0.2.2): another host.
void link_remote(const Netns& remote) {
  must(sh("ip link add vt-r type veth peer name vr-t netns " + remote.name +
          " && ip addr add 192.0.2.1/24 dev vt-r && ip link set vt-r up"
          " && ip -n " + remote.name + " addr add 192.0.2.2/24 dev vr-t && ip -n " + remote.name +
          " link set vr-t up"),
       "remote link");
}

// A socket of the host (this namespace) bound to addr:port and, for TCP, listening: a
// host service. `shareable`: with SO_REUSEADDR and SO_REUSEPORT, which must not let a
// publish slip past it.
int host_service(int family, int type, const std::string& addr, uint16_t port, bool shareable = false) {
  int s = ::socket(family, type | SOCK_CLOEXEC, 0);
  REQUIRE(s >= 0);
  int one = 1;
  if (shareable) {
    REQUIRE(::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
    REQUIRE(::setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) == 0);
  }
  sockaddr_storage ss{};
  socklen_t len;
  if (family == AF_INET6) {
    REQUIRE(::setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) == 0);
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    ::inet_pton(AF_INET6, addr.c_str(), &a->sin6_addr);
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    ::inet_pton(AF_INET, addr.c_str(), &a->sin_addr);
    len = sizeof *a;
  }
  REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&ss), len) == 0);
  if (type == SOCK_STREAM) REQUIRE(::listen(s, 4) == 0);
  return s;
}

std::string nft_ruleset() { return sh("nft list ruleset").out; }

// Quick mode on a bridge: `vcrun run --rm --rootfs R --net bridge -p P... -- CMD`.
Result publish_quick(const std::vector<std::string>& publish, const std::vector<std::string>& cmd,
                     bool detach = false, const std::string& name = "") {
  std::string id = name.empty() ? unique_id("nnpub") : name;
  std::string rootfs = make_bundle(id, default_config({"true"})) + "/rootfs";
  std::vector<std::string> args = {"run"};
  args.push_back(detach ? "--detach" : "--rm");
  args.insert(args.end(), {"--name", id, "--rootfs", rootfs, "--net", "bridge"});
  for (const auto& p : publish) args.insert(args.end(), {"-p", p});
  args.push_back("--");
  args.insert(args.end(), cmd.begin(), cmd.end());
  return detach ? run_vcrun_detached(args) : run_vcrun(args);
}

}  // namespace

TEST_CASE("bind allowlist: no socket type binds a neighbour's address", "[security]") {
  if (!usable()) return;
  TestNetns ns;
  REQUIRE(ns.ok);
  for (const char* type : {"tcp", "udp", "icmp", "raw"}) {
    for (const auto& [mine, theirs] : {std::pair{kMine4, kTheirs4}, {kMine6, kTheirs6}}) {
      INFO(type << " " << theirs);
      const std::string script = std::string("/bin/bind_probe -t ") + type + " " + theirs + " 0; /bin/bind_probe -t " +
                                  type + " " + mine + " 0";
      // Control: without a list the neighbour's address is the container's for the asking.
      auto c = host_mode(script, std::nullopt);
      CHECK(c.out == std::string("bound ") + theirs + "\nbound " + mine + "\n");
      auto r = host_mode(script, kAllow);
      if (std::string(type) == "tcp" || std::string(type) == "udp") {
        CHECK(r.out == std::string("bind: EPERM\nbound ") + mine + "\n");
      } else {
        // Raw and ICMP datagram sockets bind without any cgroup hook: with a list they cannot
        // be opened at all.
        CHECK(r.out == "socket: EPERM\nsocket: EPERM\n");
      }
    }
  }
}

TEST_CASE("bind allowlist: no socket type sends from a neighbour's address by IP_PKTINFO or an unhooked bind", "[security]") {
  if (!usable()) return;
  TestNetns ns;
  REQUIRE(ns.ok);
  for (const char* type : {"udp", "icmp", "raw"}) {
    for (const auto& [mine, theirs, dest] : {std::tuple{kMine4, kTheirs4, kDest4}, {kMine6, kTheirs6, kDest6}}) {
      INFO(type << " from " << theirs);
      // Control: without a list the packet leaves with the neighbour's source address.
      auto c = send_from(type, theirs, dest, std::nullopt);
      CHECK(c.out == "sent\n");
      CHECK(c.source == theirs);
      auto r = send_from(type, theirs, dest, kAllow);
      CHECK(r.source == "");
      if (std::string(type) == "udp") {
        CHECK(r.out == "sendmsg: EPERM\n");
        // The container's own address as the source is still fine.
        auto ok = send_from(type, mine, dest, kAllow);
        CHECK(ok.out == "sent\n");
        CHECK(ok.source == mine);
      } else {
        CHECK(r.out == "socket: EPERM\n");
      }
    }
  }
}

TEST_CASE("publish: a host port a host service uses is refused and not taken over", "[security]") {
  if (!usable()) return;
  Netns host("nnpub"), remote("nnpubr");
  Inside in(host);
  link_remote(remote);
  // Control: a free host port is published and forwarded to the container.
  std::string a = unique_id("nnfree");
  must(publish_quick({"7009:80"}, {"sh", "-c", "nc -ll -p 80 -e echo container"}, true, a), "publish a free port");
  std::string got;
  for (int i = 0; i < 50 && got.empty(); ++i) {
    got = sh("ip netns exec " + remote.name + " busybox nc -w 2 192.0.2.1 7009 </dev/null").out;
    if (got.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(got == "container\n");
  must(run_vcrun({"delete", "--force", a}), "delete");
  // Its port chains went; the bridge's NAT chain stays with the bridge (docs/network.md).
  const std::string kept = nft_ruleset();
  CHECK(kept.find("dnat") == std::string::npos);
  CHECK(kept.find("chain masq-vcrun0") != std::string::npos);

  // The host's services: TCP on every address (sharing options on), UDP on 192.0.2.1, TCP
  // on IPv6 only.
  int tcp = host_service(AF_INET, SOCK_STREAM, "0.0.0.0", 7001, /*shareable=*/true);
  int udp = host_service(AF_INET, SOCK_DGRAM, "192.0.2.1", 7002);
  int tcp6 = host_service(AF_INET6, SOCK_STREAM, "::", 7003);
  struct Case {
    std::string publish, message;
  };
  const Case cases[] = {
      {"7001:80", "--publish: host port tcp/7001 is in use on the host (0.0.0.0:7001 is bound by a process of the host)"},
      {"192.0.2.1:7001:80",
       "--publish: host port tcp/7001 is in use on the host (192.0.2.1:7001 is bound by a process of the host)"},
      {"7002:53/udp", "--publish: host port udp/7002 is in use on the host (0.0.0.0:7002 is bound by a process of the host)"},
      {"7003:80", "--publish: host port tcp/7003 is in use on the host ([::]:7003 is bound by a process of the host)"},
  };
  for (const auto& c : cases) {
    INFO(c.publish);
    auto r = publish_quick({c.publish}, {"true"});
    CHECK(r.status != 0);
    CHECK(r.err == "vcrun: " + c.message + "\n");
    CHECK(nft_ruleset() == kept);  // nothing made
  }
  // A bundle names the entry.
  std::string id = unique_id("nnpubb");
  json cfg = default_config({"true"});
  cfg["vcrun"]["network"] = {{"mode", "bridge"}, {"publish", {"7008:80", "7001:80"}}};
  auto r = run_vcrun({"run", "--rm", "--bundle", make_bundle(id, cfg), id});
  CHECK(r.err ==
        "vcrun: vcrun.network.publish[1]: host port tcp/7001 is in use on the host (0.0.0.0:7001 is bound by a "
        "process of the host)\n");
  CHECK(nft_ruleset() == kept);
  CHECK(run_vcrun({"list", "-q"}).out == "");
  ::close(tcp);
  ::close(udp);
  ::close(tcp6);
}

TEST_CASE("publish: a HOSTIP that is not an address of the host's own is refused", "[security]") {
  if (!usable()) return;
  Netns host("nnip"), remote("nnipr");
  Inside in(host);
  link_remote(remote);
  // A neighbour on the bridge: 10.217.0.2.
  std::string a = unique_id("nnnb");
  must(publish_quick({}, {"sleep", "60"}, true, a), "run the neighbour");
  struct Case {
    std::string publish, message;
  };
  const Case cases[] = {
      {"10.217.0.2:80:80",
       "--publish: host address 10.217.0.2 is in the subnet 10.217.0.0/16 of vcrun's bridges, not an address of the host"},
      {"10.217.0.1:8080:80",
       "--publish: host address 10.217.0.1 is in the subnet 10.217.0.0/16 of vcrun's bridges, not an address of the host"},
      {"192.0.2.2:8080:80", "--publish: host address 192.0.2.2 is not an address of the host's interfaces"},
      {"198.51.100.7:8080:80", "--publish: host address 198.51.100.7 is not an address of the host's interfaces"},
  };
  std::string before = nft_ruleset();
  for (const auto& c : cases) {
    INFO(c.publish);
    auto r = publish_quick({c.publish}, {"true"});
    CHECK(r.status != 0);
    CHECK(r.err == "vcrun: " + c.message + "\n");
    CHECK(nft_ruleset() == before);
  }
  // Control: the host's own address is published.
  auto ok = publish_quick({"192.0.2.1:8080:80"}, {"true"});
  INFO(ok.err);
  CHECK(ok.status == 0);
  must(run_vcrun({"delete", "--force", a}), "delete the neighbour");
  CHECK(nft_ruleset().find("dnat") == std::string::npos);  // the NAT chain stays with the bridge
}
