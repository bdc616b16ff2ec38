// vcrun.network and --net/--ip: accepted forms, and one line naming the field for each bad one.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "netfilter/ipv4.hpp"
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
  expected.ip = "10.217.3.4";
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
  CHECK(flag_error("host2", "") == "--net: expected none, host or bridge, got \"host2\"");
  CHECK(flag_error("", "10.217.0.9") == "--ip: needs --net bridge");
  CHECK(flag_error("host", "10.217.0.9") == "--ip: needs --net bridge");
  CHECK(flag_error("bridge", "ten") == "--ip: must be an IPv4 address, got \"ten\"");
  CHECK(flag_error("bridge", "192.168.0.2") ==
        "--ip: \"192.168.0.2\" is not a container address of the subnet 10.217.0.0/16 (10.217.0.1 is the bridge's)");
}
