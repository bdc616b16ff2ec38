// Each network value of `vcrun run --net bridge --ip A --publish P... --bind-allow L` is
// parsed once per call on its way from the flags to launch's network request.
//
// Where the boundaries are: quick_config (the flags: one parse of each value) returns
// config.json text, which `run` hands to Runtime::create; create's parse_spec is the JSON
// boundary (one parse of each value again: a new call, from text), validate_spec checks
// the typed values without parsing, and launch's bridge request and bind allowlist take
// the spec's values as they are (no parse at all).
#include <catch2/catch.hpp>

#include "runtime/launch.hpp"
#include "runtime/spec/validate.hpp"
#include "vcrun/net_values.hpp"
#include "vcrun/quick.hpp"
#include "vcrun/spec.hpp"

using namespace vcrun;

namespace {

// The parses since `before`.
NetValueParses since(const NetValueParses& before) {
  NetValueParses now = net_value_parses();
  return {now.ipv4 - before.ipv4, now.ipv4_net - before.ipv4_net, now.rate - before.rate,
          now.published - before.published, now.bind_allow - before.bind_allow};
}

}  // namespace

TEST_CASE("quick mode's network values are parsed once per call, JSON round trip included", "[unit]") {
  QuickOptions q;
  q.args = {"true"};
  q.net = "bridge";
  q.ip = "10.217.0.9";
  q.publish = {"8080:80", "192.0.2.7:5353:53/udp"};
  q.resources.bind_allow = "10.217.0.9,fd00::9";
  q.resources.net_rate = "10mbit";

  // The flag boundary: the address, each published port, the list, the rate: once each.
  auto before = net_value_parses();
  std::string json = quick_config("q", q, "/r");
  CHECK(since(before) == NetValueParses{1, 0, 1, 2, 1});

  // The JSON boundary: the same values again, once each, from the config.json text; the
  // validation parse_spec ends with parses nothing.
  before = net_value_parses();
  ContainerSpec spec = parse_spec(json, "/b");
  CHECK(since(before) == NetValueParses{1, 0, 1, 2, 1});

  // After the boundary: checks and launch's requests take the typed values.
  before = net_value_parses();
  validate_spec(spec);
  net::BridgeRequest req = bridge_request(spec.vcrun.network, "vcrun/q");
  CHECK(since(before) == NetValueParses{});

  // And nothing was lost on the way.
  REQUIRE(spec.vcrun.bind_allow);
  CHECK(spec.vcrun.bind_allow->v4 == std::vector<Ipv4>{*parse_ipv4("10.217.0.9")});
  CHECK(to_strings(*spec.vcrun.bind_allow) == std::vector<std::string>{"10.217.0.9", "fd00::9"});
  CHECK(spec.vcrun.network.ip == parse_ipv4("10.217.0.9"));
  CHECK(spec.vcrun.network.rate == 10000000u);
  REQUIRE(req.publish.size() == 2);
  CHECK(host_port_name(req.publish[1]) == "udp/5353");
  CHECK(to_string(*req.publish[1].host_ip) == "192.0.2.7");
  CHECK(req.publish == spec.vcrun.network.publish);
  CHECK(to_string(req.subnet) == kDefaultSubnet);
  CHECK(req.bridge == kDefaultBridge);
}

TEST_CASE("a bridge spec from config.json: one parse per value, none after parse_spec", "[unit]") {
  const std::string config = R"({"ociVersion": "1.0.2", "process": {"args": ["sh"], "cwd": "/"},
      "root": {"path": "r"}, "linux": {"namespaces": [{"type": "mount"}, {"type": "network"}]},
      "vcrun": {"network": {"mode": "bridge", "ip": "10.5.0.9", "subnet": "10.5.0.0/24",
                            "publish": ["8443:443"], "bindAllow": ["10.5.0.9"], "ceil": "1gbit"}}})";
  auto before = net_value_parses();
  ContainerSpec spec = parse_spec(config, "/b");
  CHECK(since(before) == NetValueParses{1, 1, 1, 1, 1});
  before = net_value_parses();
  net::BridgeRequest req = bridge_request(spec.vcrun.network, "vcrun/c");
  CHECK(since(before) == NetValueParses{});
  CHECK(to_string(req.subnet) == "10.5.0.0/24");
  CHECK(req.ip == parse_ipv4("10.5.0.9"));
}
