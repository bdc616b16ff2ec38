// Integration: per-container HTB classes (vcrun.network.rate/ceil/share, --net-rate ...)
// through the real vcrun binary, inside network namespaces this test creates: a "host"
// namespace whose default route leaves by a veth to a "sink" namespace running iperf3
// servers. vcrun shapes that veth at a link rate of 100 Mbit/s; containers send flat out
// with iperf3 and the sink's received rates are compared.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "net/state/leases.hpp"
#include "support/harness.hpp"
#include "support/netns.hpp"

using namespace vcrun::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// iperf3 servers in the sink namespace, one per port, killed (by pid) at scope exit.
struct Servers {
  std::vector<pid_t> pids;
  Servers(const Netns& sink, std::initializer_list<int> ports) {
    for (int port : ports) {
      pid_t pid = ::fork();
      REQUIRE(pid >= 0);
      if (pid == 0) {
        int null = ::open("/dev/null", O_RDWR);
        ::dup2(null, 0);
        ::dup2(null, 1);
        ::dup2(null, 2);
        std::string p = std::to_string(port);
        ::execl("/usr/sbin/ip", "ip", "netns", "exec", sink.name.c_str(), "iperf3", "-s", "-p", p.c_str(), nullptr);
        ::_exit(127);
      }
      pids.push_back(pid);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  ~Servers() {
    for (pid_t p : pids) {
      ::kill(p, SIGKILL);
      ::waitpid(p, nullptr, 0);
    }
  }
};

// The test network: host --vt-s (192.0.2.1) === (192.0.2.2) vs-t-- sink; default route via
// the sink, so vt-s is the default egress.
struct Net {
  Netns host{"htb"}, sink{"sink"};
  Net() {
    must(sh("ip -n " + host.name + " link add vt-s type veth peer name vs-t netns " + sink.name +
            " && ip -n " + host.name + " addr add 192.0.2.1/24 dev vt-s && ip -n " + host.name +
            " link set vt-s up && ip -n " + host.name + " route add default via 192.0.2.2" +
            " && ip -n " + sink.name + " addr add 192.0.2.2/24 dev vs-t && ip -n " + sink.name + " link set vs-t up"),
         "test links");
  }
};

bool have_tools() {
  for (const char* tool : {"/usr/sbin/ip", "/usr/sbin/nft", "/usr/sbin/tc", "/usr/bin/iperf3"})
    if (!fs::exists(tool)) {
      std::printf("SKIP: %s is not installed\n", tool);
      return false;
    }
  return true;
}

std::vector<std::string> mode_flags(const std::string& mode) {
  return {"--net", mode, "--net-link-rate", "100mbit"};
}

// `vcrun run --rm --name id` in quick mode (the host's / as root: iperf3 is there) that
// waits for the file `go` in the directory `gate` (bound at /gate), then sends to port
// `port` of the sink for `seconds`, after a second left out; the receiver's Mbit/s.
double send(const std::string& mode, const std::vector<std::string>& shaping, const std::string& id,
            const std::string& gate, int port, int seconds) {
  std::vector<std::string> args = {"run", "--rm", "--name", id, "-v", gate + ":/gate"};
  for (const auto& f : mode_flags(mode)) args.push_back(f);
  for (const auto& f : shaping) args.push_back(f);
  args.insert(args.end(), {"--", "/bin/sh", "-c",
                           "while [ ! -e /gate/go ]; do sleep 0.01; done; exec iperf3 -c 192.0.2.2 -p " +
                               std::to_string(port) + " -t " + std::to_string(seconds) + " -O 1 -J"});
  Result r = run_vcrun(args);
  if (r.status != 0) {
    UNSCOPED_INFO("sender on port " << port << ": " << r.err << r.out.substr(0, 400));
    return -1;
  }
  try {
    return json::parse(r.out)["end"]["sum_received"]["bits_per_second"].get<double>() / 1e6;
  } catch (const std::exception& e) {
    UNSCOPED_INFO("iperf3 output: " << r.out.substr(0, 400));
    return -1;
  }
}

// Two senders, released together once both containers run (their creates serialise on the
// lease lock: started as they come, the later one would send alone at the end); their Mbit/s.
std::pair<double, double> send_two(const std::string& mode, const std::vector<std::string>& a,
                                   const std::vector<std::string>& b, int seconds = 5) {
  double ra = -1, rb = -1;
  std::string gate = work_dir() + "/gate-" + unique_id("g");
  fs::create_directories(gate);
  std::string ida = unique_id("snda"), idb = unique_id("sndb");
  // setns() moved this thread only; the senders' threads enter the same namespace.
  int ns = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  REQUIRE(ns >= 0);
  auto in_ns = [ns](auto&& f) {
    return [ns, f] {
      if (::setns(ns, CLONE_NEWNET) != 0) return;
      f();
    };
  };
  std::thread ta(in_ns([&] { ra = send(mode, a, ida, gate, 5201, seconds); }));
  std::thread tb(in_ns([&] { rb = send(mode, b, idb, gate, 5202, seconds); }));
  auto running = [](const std::string& id) {
    auto r = run_vcrun({"state", id});
    return r.status == 0 && r.out.find("\"running\"") != std::string::npos;
  };
  for (int i = 0; i < 600 && !(running(ida) && running(idb)); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::ofstream(gate + "/go") << "go";
  ta.join();
  tb.join();
  ::close(ns);
  return {ra, rb};
}

std::string tc_state(const std::string& dev) {
  return sh("tc qdisc show dev " + dev + " | grep -v noqueue; tc class show dev " + dev).out;
}

// The ruleset left once the containers are gone: nothing, or only the bridge's NAT chain,
// which bridge mode keeps with the bridge (docs/network.md).
bool no_rules_but_bridge_nat(const std::string& ruleset) {
  if (ruleset.empty()) return true;
  std::string kept = sh("nft list table ip vcrun 2>/dev/null").out;
  return ruleset == kept && kept.find("chain masq-vcrun0") != std::string::npos &&
         kept.find("meta priority") == std::string::npos && kept.find("comment") == std::string::npos &&
         std::count(kept.begin(), kept.end(), '\n') <= 8;
}

void check_clean() {
  CHECK(tc_state("vt-s") == "");
  std::string ruleset = sh("nft list ruleset").out;
  INFO(ruleset);
  CHECK(no_rules_but_bridge_nat(ruleset));
  CHECK(!fs::exists(vcrun::net::netns_lease_dir() + ".shaping"));  // the ledger of this namespace
  CHECK(run_vcrun({"list", "-q"}).out == "");
}

}  // namespace

TEST_CASE("htb: shares 2:1 split the link 2:1 (host and bridge mode)", "[integration]") {
  if (!is_root() || !have_tools()) return;
  for (std::string mode : {"host", "bridge"}) {
    Net net;
    Inside in(net.host);
    Servers servers(net.sink, {5201, 5202});
    auto [a, b] = send_two(mode, {"--net-share", "2"}, {"--net-share", "1"});
    std::printf("htb %s mode, shares 2:1: %.1f and %.1f Mbit/s, ratio %.3f\n", mode.c_str(), a, b, b > 0 ? a / b : 0);
    INFO(mode << ": " << a << " / " << b << " Mbit/s");
    REQUIRE(a > 0);
    REQUIRE(b > 0);
    CHECK(a / b >= 1.8);
    CHECK(a / b <= 2.2);
    CHECK(a + b >= 85);
    CHECK(a + b <= 101);
    check_clean();
  }
}

TEST_CASE("htb: a 30 Mbit reservation holds while another container saturates and a capped one stays capped",
          "[integration]") {
  if (!is_root() || !have_tools()) return;
  Net net;
  Inside in(net.host);
  Servers servers(net.sink, {5201, 5202});
  // The reserved container's share is 1 against the other's 10: it lives on its rate.
  auto [reserved, other] = send_two("host", {"--net-rate", "30mbit"}, {"--net-share", "10"});
  std::printf("htb reservation 30mbit vs share 10: %.1f and %.1f Mbit/s\n", reserved, other);
  CHECK(reserved >= 28.5);
  CHECK(other > 0);
  auto [capped, rest] = send_two("host", {"--net-rate", "20mbit", "--net-share", "0"}, {"--net-share", "1"});
  std::printf("htb capped at 20mbit vs share 1: %.1f and %.1f Mbit/s\n", capped, rest);
  CHECK(capped > 0);
  CHECK(capped <= 21);
  CHECK(rest >= 70);
  check_clean();
}

TEST_CASE("htb: admission refuses an over-reservation with one line and creates nothing", "[integration]") {
  if (!is_root() || !have_tools()) return;
  Net net;
  Inside in(net.host);
  std::string a = unique_id("htba");
  std::vector<std::string> args = {"run", "--detach", "--name", a};
  for (const auto& f : mode_flags("host")) args.push_back(f);
  args.insert(args.end(), {"--net-rate", "60mbit", "--", "sleep", "60"});
  must(run_vcrun_detached(args), "run A");
  std::string before = tc_state("vt-s"), rules = sh("nft list ruleset").out;
  CHECK(before.find("class htb 7663:10 parent 7663:1") != std::string::npos);
  CHECK(rules.find("socket cgroupv2 level") != std::string::npos);
  CHECK(rules.find("meta priority set 7663:10") != std::string::npos);

  auto r = run_vcrun({"run", "--rm", "--net", "host", "--net-rate", "50mbit", "--", "true"});
  INFO(r.err);
  CHECK(r.status != 0);
  CHECK(r.err.find("--net-rate: 50mbit does not fit on vt-s: 60mbit of its 100mbit are reserved by 1 container(s)") !=
        std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(tc_state("vt-s") == before);
  CHECK(sh("nft list ruleset").out == rules);
  // Bad input: one line naming the flag.
  auto unit = run_vcrun({"run", "--rm", "--net", "host", "--net-rate", "10", "--", "true"});
  CHECK(unit.err.find("--net-rate: needs a unit") != std::string::npos);
  auto none = run_vcrun({"run", "--rm", "--net-share", "2", "--", "true"});
  CHECK(none.err.find("--net-share: shapes host or bridge mode only") != std::string::npos);
  auto ceil = run_vcrun({"run", "--rm", "--net", "host", "--net-rate", "20mbit", "--net-ceil", "10mbit", "--", "true"});
  CHECK(ceil.err.find("--net-ceil: 10mbit is below --net-rate 20mbit") != std::string::npos);

  must(run_vcrun({"delete", "--force", a}), "delete A");
  check_clean();
}

TEST_CASE("htb: delete --force after kill -9 of vcrun during create leaves no class or rule or qdisc",
          "[integration]") {
  if (!is_root() || !have_tools()) return;
  Net net;
  Inside in(net.host);
  int create_us = 0;
  for (int round = 0; round < 10; ++round) {
    std::string id = unique_id("htbk");
    std::string root = runtime_root();
    std::string mode = round % 2 ? "bridge" : "host";
    auto started = std::chrono::steady_clock::now();
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::execl(vcrun_binary().c_str(), "vcrun", "--root", root.c_str(), "run", "--detach", "--name", id.c_str(), "--net",
              mode.c_str(), "--net-link-rate", "100mbit", "--net-rate", "10mbit", "--", "sleep", "60", nullptr);
      ::_exit(127);
    }
    int delay_us = round < 2 ? 0 : static_cast<int>((round * 7919) % (create_us + 1));
    INFO("round " << round << " (" << mode << "), kill after " << delay_us << " us");
    if (round >= 2) {
      ::usleep(static_cast<useconds_t>(delay_us));
      ::kill(pid, SIGKILL);
    }
    int status;
    ::waitpid(pid, &status, 0);
    if (round < 2) {
      create_us = std::max(create_us, static_cast<int>(std::chrono::duration_cast<std::chrono::microseconds>(
                                                            std::chrono::steady_clock::now() - started).count()));
      REQUIRE(WIFEXITED(status));
      REQUIRE(WEXITSTATUS(status) == 0);
      CHECK(tc_state("vt-s").find("class htb 7663:10") != std::string::npos);
    }
    auto del = run_vcrun({"delete", "--force", id});
    INFO(del.err);
    CHECK(del.status == 0);
    check_clean();
  }
}

TEST_CASE("htb: update changes the class in place with admission and stats shows its counters", "[integration]") {
  if (!is_root() || !have_tools()) return;
  Net net;
  Inside in(net.host);
  Servers servers(net.sink, {5201});
  std::string a = unique_id("htbua"), b = unique_id("htbub");
  auto start = [](const std::string& id, const std::string& rate) {
    std::vector<std::string> args = {"run", "--detach", "--name", id};
    for (const auto& f : mode_flags("host")) args.push_back(f);
    args.insert(args.end(), {"--net-rate", rate, "--", "sleep", "60"});
    must(run_vcrun_detached(args), "run " + id);
  };
  start(a, "10mbit");
  must(run_vcrun({"update", a, "--net-rate", "40mbit", "--net-share", "3"}), "update A");
  std::string cls = sh("tc -d class show dev vt-s classid 7663:10").out;
  INFO(cls);
  CHECK(cls.find("quantum 36000") != std::string::npos);
  start(b, "50mbit");
  std::string before = sh("tc -d class show dev vt-s").out;
  auto refused = run_vcrun({"update", a, "--net-rate", "60mbit"});
  INFO(refused.err);
  CHECK(refused.status != 0);
  CHECK(refused.err.find("--net-rate: 60mbit does not fit on vt-s: 50mbit of its 100mbit are reserved by 1 container(s)") !=
        std::string::npos);
  CHECK(std::count(refused.err.begin(), refused.err.end(), '\n') == 1);
  CHECK(sh("tc -d class show dev vt-s").out == before);

  // Traffic from A (exec joins its cgroup: the same class), then its counters.
  must(run_vcrun({"exec", a, "iperf3", "-c", "192.0.2.2", "-p", "5201", "-t", "1"}), "iperf3 in A");
  auto stats = run_vcrun({"stats", "--format", "json", a});
  INFO(stats.out << stats.err);
  REQUIRE(stats.status == 0);
  json j = json::parse(stats.out);
  REQUIRE(j.size() == 1);
  CHECK(j[0]["network"]["device"] == "vt-s");
  CHECK(j[0]["network"]["class"] == "7663:10");
  CHECK(j[0]["network"]["bytes"].get<uint64_t>() > 1000000);
  CHECK(j[0]["network"]["packets"].get<uint64_t>() > 500);
  CHECK(j[0]["network"].contains("drops"));
  auto table = run_vcrun({"stats", a});
  CHECK(table.out.find("7663:10") != std::string::npos);

  CHECK(run_vcrun({"update", b, "--net-share", "0"}).status == 0);  // capped at its 50mbit
  CHECK(sh("tc class show dev vt-s classid 7663:11").out.find("ceil 50Mbit") != std::string::npos);
  must(run_vcrun({"delete", "--force", a}), "delete A");
  must(run_vcrun({"delete", "--force", b}), "delete B");
  check_clean();
}

TEST_CASE("htb: concurrent creates get distinct classes and rules", "[integration]") {
  if (!is_root() || !have_tools()) return;
  Net net;
  Inside in(net.host);
  constexpr int kCount = 5;
  std::vector<std::string> ids;
  for (int i = 0; i < kCount; ++i) ids.push_back(unique_id("htbpar"));
  std::vector<Result> results(kCount);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCount; ++i)
    threads.emplace_back([&, i] {
      std::vector<std::string> args = {"run", "--detach", "--name", ids[i]};
      for (const auto& f : mode_flags(i % 2 ? "bridge" : "host")) args.push_back(f);
      args.insert(args.end(), {"--net-rate", "10mbit", "--", "sleep", "60"});
      results[i] = run_vcrun_detached(args);
    });
  for (auto& t : threads) t.join();
  for (const auto& r : results) {
    INFO(r.err);
    CHECK(r.status == 0);
  }
  std::string classes = tc_state("vt-s"), rules = sh("nft list ruleset").out;
  INFO(classes << rules);
  for (int minor = 0x10; minor < 0x10 + kCount; ++minor) {
    char id[16];
    std::snprintf(id, sizeof id, "7663:%x", minor);
    CHECK(classes.find(std::string("class htb ") + id + " parent 7663:1") != std::string::npos);
    CHECK(rules.find(std::string("meta priority set ") + id) != std::string::npos);
  }
  // Host mode's IPv6 sockets are tagged as well (the even ones are host mode).
  auto ip6 = rules.find("table ip6 vcrun");
  REQUIRE(ip6 != std::string::npos);
  for (int i = 0; i < kCount; i += 2)
    CHECK(rules.find("comment \"vcrun:" + ids[i], ip6) != std::string::npos);
  for (const auto& id : ids) {
    CHECK(rules.find("comment \"vcrun:" + id) != std::string::npos);  // its cgroup name: id, or id@<root hash>
    CHECK(run_vcrun({"delete", "--force", id}).status == 0);
  }
  check_clean();  // no ip6 table left either: the ruleset is empty
}
