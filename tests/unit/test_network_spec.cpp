// vcrun.network and --net/--ip: accepted forms, and one line naming the field for each bad one.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "net/values/ipv4.hpp"
#include "runtime/spec/resolv_conf.hpp"
#include "spec_error_of.hpp"
#include "vcrun/error.hpp"
#include "vcrun/quick.hpp"
#include "vcrun/spec.hpp"

using namespace vcrun;
using nlohmann::json;

namespace {

json base() {
  return json::parse(R"({"ociVersion": "1.0.2", "process": {"args": ["sh"], "cwd": "/"},
                         "root": {"path": "rootfs"},
                         "linux": {"namespaces": [{"type": "mount"}, {"type": "network"}]}})");
}

std::string error_of(const std::string& patch) { return test::spec_error_of(base(), patch); }

// quick_config's error for `run --net NET --ip IP -- true`; "<accepted>" when it has none.
std::string flag_error(const std::string& net, const std::string& ip) {
  QuickOptions q;
  q.args = {"true"};
  q.net = net;
  q.ip = ip;
  try {
    json config = json::parse(quick_config("q", q, "/r"));
    if (net == "bridge") CHECK(config["vcrun"]["network"]["mode"] == "bridge");
    if (!ip.empty()) CHECK(config["vcrun"]["network"]["ip"] == ip);
  } catch (const SpecError& e) {
    return e.what();
  }
  return "<accepted>";
}

}  // namespace

TEST_CASE("IPv4 subnets: parsing and the arithmetic of leases", "[unit]") {
  auto n = net::parse_ipv4_net("10.217.0.0/16");
  REQUIRE(n);
  CHECK(net::to_string(*n) == "10.217.0.0/16");
  CHECK(net::to_string(n->gateway()) == "10.217.0.1");
  CHECK(net::to_string(n->broadcast()) == "10.217.255.255");
  CHECK(n->assignable(*net::parse_ipv4("10.217.0.2")));
  CHECK_FALSE(n->assignable(*net::parse_ipv4("10.217.0.1")));
  CHECK_FALSE(n->assignable(*net::parse_ipv4("10.217.255.255")));
  CHECK_FALSE(n->assignable(*net::parse_ipv4("10.218.0.2")));
  CHECK(n->overlaps(*net::parse_ipv4_net("10.217.5.0/24")));
  CHECK(n->overlaps(*net::parse_ipv4_net("10.0.0.0/8")));
  CHECK_FALSE(n->overlaps(*net::parse_ipv4_net("10.218.0.0/16")));
  CHECK_FALSE(net::parse_ipv4_net("10.217.0.1/16"));  // host bits
  CHECK_FALSE(net::parse_ipv4_net("10.217.0.0/33"));
  CHECK_FALSE(net::parse_ipv4_net("10.217.0.0/"));
  CHECK_FALSE(net::parse_ipv4_net("10.217.0.0"));
  CHECK_FALSE(net::parse_ipv4("10.1"));
  CHECK_FALSE(net::parse_ipv4("fe80::1"));
}

TEST_CASE("vcrun.network: accepted forms", "[unit]") {
  CHECK(error_of("{}") == "<accepted>");
  CHECK(error_of(R"({"vcrun": {"network": {"mode": "none"}}})") == "<accepted>");
  CHECK(error_of(R"({"vcrun": {"network": {"mode": "bridge"}}})") == "<accepted>");
  CHECK(error_of(R"({"vcrun": {"network": {"mode": "bridge", "ip": "10.5.0.9", "subnet": "10.5.0.0/24",
                                           "bridge": "br-ci"}}})") == "<accepted>");
  auto spec = parse_spec(R"({"ociVersion": "1.0.2", "process": {"args": ["sh"], "cwd": "/"},
      "root": {"path": "r"}, "linux": {"namespaces": [{"type": "mount"}, {"type": "network"}]},
      "vcrun": {"network": {"mode": "bridge", "ip": "10.217.3.4"}}})", "/b");
  NetworkSpec expected;
  expected.mode = NetworkMode::bridge;
  expected.ip = parse_ipv4("10.217.3.4");
  CHECK(spec.vcrun.network == expected);
}

TEST_CASE("vcrun.network: bad input names the field", "[unit]") {
  struct Case {
    const char* patch;
    const char* message;
  };
  const Case cases[] = {
      {R"({"vcrun": {"network": {"mode": "host2"}}})",
       "vcrun.network.mode: must be \"none\" or \"bridge\", got \"host2\""},
      {R"({"vcrun": {"network": {"mode": 1}}})", "vcrun.network.mode: must be a string"},
      {R"({"vcrun": {"network": {"ip": "10.217.0.5"}}})",
       "vcrun.network.ip: is for bridge mode only (vcrun.network.mode is none)"},
      {R"({"vcrun": {"network": {"mode": "bridge", "ip": "10.217.0"}}})",
       "vcrun.network.ip: must be an IPv4 address, got \"10.217.0\""},
      {R"({"vcrun": {"network": {"mode": "bridge", "ip": "10.5.0.9"}}})",
       "vcrun.network.ip: \"10.5.0.9\" is not a container address of the subnet 10.217.0.0/16 "
       "(10.217.0.1 is the bridge's)"},
      {R"({"vcrun": {"network": {"mode": "bridge", "ip": "10.217.0.1"}}})",
       "vcrun.network.ip: \"10.217.0.1\" is not a container address of the subnet 10.217.0.0/16 "
       "(10.217.0.1 is the bridge's)"},
      {R"({"vcrun": {"network": {"mode": "bridge", "subnet": "10.5.0.1/24"}}})",
       "vcrun.network.subnet: has bits set after the prefix length, got \"10.5.0.1/24\""},
      {R"({"vcrun": {"network": {"mode": "bridge", "subnet": "10.5.0.0"}}})",
       "vcrun.network.subnet: must be an IPv4 subnet A.B.C.D/N, got \"10.5.0.0\""},
      {R"({"vcrun": {"network": {"mode": "bridge", "subnet": "10.5.0.0/31"}}})",
       "vcrun.network.subnet: must have a prefix length from 8 to 30, got \"10.5.0.0/31\""},
      {R"({"vcrun": {"network": {"mode": "bridge", "bridge": "a/b"}}})",
       "vcrun.network.bridge: must be an interface name of 1 to 15 characters without '/', ':' or "
       "spaces, got \"a/b\""},
      {R"({"vcrun": {"network": {"mode": "bridge", "bridge": "abcdefghijklmnop"}}})",
       "vcrun.network.bridge: must be an interface name of 1 to 15 characters without '/', ':' or "
       "spaces, got \"abcdefghijklmnop\""},
      {R"({"linux": {"namespaces": [{"type": "mount"}]}, "vcrun": {"network": {"mode": "bridge"}}})",
       "vcrun.network.mode: bridge mode needs a network namespace in linux.namespaces"},
      {R"({"linux": {"namespaces": [{"type": "mount"}, {"type": "network", "path": "/proc/1/ns/net"}]},
           "vcrun": {"network": {"mode": "bridge"}}})",
       "vcrun.network.mode: bridge mode needs a new network namespace, not one joined by path "
       "\"/proc/1/ns/net\""},
  };
  for (const auto& c : cases) {
    INFO(c.patch);
    CHECK(error_of(c.patch) == c.message);
  }
}

TEST_CASE("quick mode's --net bridge and --ip set vcrun.network and are named in errors", "[unit]") {
  CHECK(flag_error("", "") == "<accepted>");
  CHECK(flag_error("bridge", "") == "<accepted>");
  CHECK(flag_error("bridge", "10.217.0.9") == "<accepted>");
  // The library names the spec path each flag sets; cmd/ turns it into the flag's name.
  CHECK(flag_error("host2", "") == "vcrun.network.mode: expected none, host or bridge, got \"host2\"");
  CHECK(flag_error("", "10.217.0.9") == "vcrun.network.ip: needs vcrun.network.mode bridge");
  CHECK(flag_error("host", "10.217.0.9") == "vcrun.network.ip: needs vcrun.network.mode bridge");
  CHECK(flag_error("bridge", "ten") == "vcrun.network.ip: must be an IPv4 address, got \"ten\"");
  CHECK(flag_error("bridge", "192.168.0.2") ==
        "vcrun.network.ip: \"192.168.0.2\" is not a container address of the subnet 10.217.0.0/16 (10.217.0.1 is the "
        "bridge's)");
}

TEST_CASE("bridge mode's resolv.conf: the host's unless its nameservers are all on loopback", "[unit]") {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("vcrun-resolv-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  };
  using spec_detail::bridge_resolv_conf, spec_detail::usable;
  CHECK(usable("search example.org\nnameserver 10.255.255.53\n"));
  CHECK(usable("nameserver 127.0.0.53\nnameserver 192.0.2.1\n"));
  CHECK_FALSE(usable("nameserver 127.0.0.53\noptions edns0 trust-ad\n"));
  CHECK_FALSE(usable("nameserver ::1\n# nameserver 192.0.2.1\n"));
  CHECK_FALSE(usable(""));  // glibc's default then is 127.0.0.1
  std::string stub = write("stub", "nameserver 127.0.0.53\n");
  std::string host = write("host", "nameserver 192.0.2.1\n");
  std::string upstream = write("upstream", "nameserver 198.51.100.7\n");
  CHECK(bridge_resolv_conf(host, upstream) == host);
  CHECK(bridge_resolv_conf(stub, upstream) == upstream);
  CHECK(bridge_resolv_conf(stub, (dir / "missing").string()) == "");
  CHECK(bridge_resolv_conf(stub, stub) == "");
  fs::remove_all(dir);
}

TEST_CASE("vcrun.network.publish and --publish: docker's form, one line naming the entry", "[unit]") {
  json c = base();
  c["vcrun"]["network"] = {{"mode", "bridge"}, {"publish", {"8080:80", "192.0.2.7:5353:53/udp", "0.0.0.0:8443:443/tcp"}}};
  ContainerSpec spec = parse_spec(c.dump(), "/b");
  const auto& ports = spec.vcrun.network.publish;
  REQUIRE(ports.size() == 3);
  CHECK(host_port_name(ports[0]) == "tcp/8080");
  CHECK(ports[0].container_port == 80);
  CHECK_FALSE(ports[0].host_ip);
  CHECK(host_port_name(ports[1]) == "udp/5353");
  CHECK(net::to_string(*ports[1].host_ip) == "192.0.2.7");
  CHECK_FALSE(ports[2].host_ip);  // 0.0.0.0: every local address
  auto publish = [](const std::string& entries) {
    return error_of(R"({"vcrun": {"network": {"mode": "bridge", "publish": )" + entries + "}}}");
  };
  CHECK(publish(R"(["80"])") == "vcrun.network.publish[0]: must be [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|/udp], got \"80\"");
  CHECK(publish(R"(["8080:80", "8080:0"])") == "vcrun.network.publish[1]: ports must be numbers from 1 to 65535, got \"8080:0\"");
  CHECK(publish(R"(["70000:80"])") == "vcrun.network.publish[0]: ports must be numbers from 1 to 65535, got \"70000:80\"");
  CHECK(publish(R"(["80:80/sctp"])") == "vcrun.network.publish[0]: the protocol must be tcp or udp, got \"80:80/sctp\"");
  CHECK(publish(R"(["127.0.0.1:80:80"])") ==
        "vcrun.network.publish[0]: a loopback host address is not forwarded to a container, got \"127.0.0.1:80:80\"");
  CHECK(publish(R"(["x:80:80"])") == "vcrun.network.publish[0]: the host address must be an IPv4 address, got \"x:80:80\"");
  CHECK(publish(R"(["80:80", "80:81"])") == "vcrun.network.publish[1]: host port tcp/80 is published twice");
  CHECK(publish(R"(["80:80", "80:80/udp"])") == "<accepted>");
  CHECK(error_of(R"({"vcrun": {"network": {"publish": ["80:80"]}}})") ==
        "vcrun.network.publish: is for bridge mode only (vcrun.network.mode is none)");
  QuickOptions q;
  q.args = {"true"};
  q.publish = {"8080:80"};
  CHECK_THROWS_WITH(quick_config("q", q, "/r"), "vcrun.network.publish: needs vcrun.network.mode bridge");
  q.net = "bridge";
  q.publish = {"8080:80", "8080"};
  CHECK_THROWS_WITH(quick_config("q", q, "/r"),
                    "vcrun.network.publish[1]: must be [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|/udp], got \"8080\"");
}
