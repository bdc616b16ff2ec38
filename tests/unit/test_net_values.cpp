// The network value types (vcrun/net_values.hpp): what the serializer writes, the parser
// reads back as the same value.
#include <catch2/catch.hpp>
#include <netinet/in.h>

#include "vcrun/error.hpp"
#include "vcrun/net_values.hpp"

using namespace vcrun;

TEST_CASE("published ports: canonical text, read back as the same value", "[unit]") {
  for (const char* text : {"8080:80", "192.0.2.7:5353:53/udp", "1:65535"}) {
    INFO(text);
    PublishedPort p = parse_published(text, "f");
    CHECK(to_string(p) == text);
    CHECK(parse_published(to_string(p), "f") == p);
  }
  // Other spellings of the same value: the canonical one is written.
  CHECK(to_string(parse_published("0.0.0.0:8443:443/tcp", "f")) == "8443:443");
  CHECK(to_string(parse_published("80:80/tcp", "f")) == "80:80");
  PublishedPort udp = parse_published("5353:53/udp", "f");
  CHECK(udp.proto == IPPROTO_UDP);
  CHECK(host_port_name(udp) == "udp/5353");
  CHECK_THROWS_WITH(parse_published("80", "vcrun.network.publish[3]"),
                    "vcrun.network.publish[3]: must be [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|/udp], got \"80\"");
}

TEST_CASE("bind allowlists: per family in the order given, read back as the same value", "[unit]") {
  BindAllowList l = parse_bind_allow({"fd00::5", "10.0.0.5", "::FFFF:192.0.2.7", "::1"}, "f");
  CHECK(to_strings(l) == std::vector<std::string>{"10.0.0.5", "192.0.2.7", "fd00::5", "::1"});
  CHECK(parse_bind_allow(to_strings(l), "f") == l);
  CHECK(to_strings(parse_bind_allow({}, "f")).empty());
  CHECK_THROWS_WITH(parse_bind_allow({"10.0.0.1", "web"}, "vcrun.network.bindAllow"),
                    "vcrun.network.bindAllow[1]: expected an IPv4 or IPv6 address, got \"web\"");
}

TEST_CASE("addresses, subnets and rates: canonical text and the default subnet", "[unit]") {
  CHECK(to_string(*parse_ipv4("10.217.0.9")) == "10.217.0.9");
  CHECK(to_string(*parse_ipv4_net("10.5.0.0/24")) == "10.5.0.0/24");
  CHECK(*parse_ipv4_net(kDefaultSubnet) == kDefaultSubnetNet);
  CHECK(rate_text(*parse_rate("1.5gbit")) == "1500mbit");
  CHECK(rate_text(*parse_rate("10mbit")) == "10mbit");
  std::string why;
  CHECK_FALSE(parse_rate("10", &why));
  CHECK(why.rfind("needs a unit", 0) == 0);
}

TEST_CASE("the parse counters count calls of the public parsers only", "[unit]") {
  NetValueParses before = net_value_parses();
  parse_published("192.0.2.7:80:80", "f");  // its host address is part of it, not a parse of its own
  parse_ipv4("10.0.0.1");
  NetValueParses after = net_value_parses();
  CHECK(after.published == before.published + 1);
  CHECK(after.ipv4 == before.ipv4 + 1);
  CHECK(after.ipv4_net == before.ipv4_net);
}
