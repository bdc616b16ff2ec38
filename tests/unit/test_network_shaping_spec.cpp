// vcrun.network.rate/ceil/share/egress/linkRate and --net-rate/--net-ceil/--net-share: tc's
// rate units, and one line naming the field for each bad input.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cmd/vcrun/flag_fields.hpp"
#include "net/values/rate.hpp"
#include "spec_error_of.hpp"
#include "vcrun/error.hpp"
#include "vcrun/quick.hpp"
#include "vcrun/spec.hpp"

using namespace vcrun;
using nlohmann::json;

namespace {

// A host-mode config (no network namespace).
json host() {
  return json::parse(R"({"ociVersion": "1.0.2", "process": {"args": ["sh"], "cwd": "/"},
                         "root": {"path": "rootfs"}, "linux": {"namespaces": [{"type": "mount"}]}})");
}

std::string error_of(const std::string& patch) { return test::spec_error_of(host(), patch); }

std::string flag_error(const std::string& net, ResourceFlags f) {
  QuickOptions q;
  q.args = {"true"};
  q.net = net;
  q.resources = f;
  try {
    quick_config("q", q, "/r");
  } catch (const SpecError& e) {
    // As the CLI shows it: the fields of the flags given named by those flags.
    auto given = [&](std::string_view flag) {
      return (flag == "--net-rate" && !f.net_rate.empty()) || (flag == "--net-ceil" && !f.net_ceil.empty()) ||
             (flag == "--net-share" && !f.net_share.empty());
    };
    return cli::with_flag_names(e, given).what();
  }
  return "<accepted>";
}

}  // namespace

TEST_CASE("rates: tc's units", "[unit]") {
  CHECK(net::parse_rate("10mbit") == 10000000u);
  CHECK(net::parse_rate("10Mbit") == 10000000u);
  CHECK(net::parse_rate("1.5gbit") == 1500000000u);
  CHECK(net::parse_rate("1kibit") == 1024u);
  CHECK(net::parse_rate("100bps") == 800u);
  CHECK(net::parse_rate("2mbps") == 16000000u);
  CHECK(net::parse_rate("300bit") == 300u);
  std::string why;
  CHECK_FALSE(net::parse_rate("10", &why));
  CHECK(why.rfind("needs a unit", 0) == 0);
  CHECK_FALSE(net::parse_rate("10furlongs", &why));
  CHECK(why.rfind("unknown unit \"furlongs\"", 0) == 0);
  CHECK_FALSE(net::parse_rate("0mbit", &why));
  CHECK_FALSE(net::parse_rate("mbit"));
  CHECK_FALSE(net::parse_rate(""));
  CHECK(net::rate_text(100000000) == "100mbit");
  CHECK(net::rate_text(1500000000) == "1500mbit");
  CHECK(net::rate_text(12345) == "12345bit");
}

TEST_CASE("vcrun.network shaping fields: accepted forms and one line naming the field", "[unit]") {
  CHECK(error_of(R"({"vcrun": {"network": {"rate": "10mbit", "ceil": "100mbit", "share": 2}}})") == "<accepted>");
  CHECK(error_of(R"({"vcrun": {"network": {"share": 0.5, "egress": "eth1", "linkRate": "1gbit"}}})") == "<accepted>");
  CHECK(error_of(R"({"vcrun": {"network": {"rate": "10"}}})") ==
        "vcrun.network.rate: needs a unit (bit, kbit, mbit, gbit, bps, kbps, mbps, ...), got \"10\"");
  CHECK(error_of(R"({"vcrun": {"network": {"rate": 10}}})") ==
        "vcrun.network.rate: must be a string with a unit, like \"10mbit\"");
  CHECK(error_of(R"({"vcrun": {"network": {"share": -1}}})") ==
        "vcrun.network.share: must be between 0 and 1000, got -1.000000");
  CHECK(error_of(R"({"vcrun": {"network": {"share": 0}}})") == "vcrun.network.share: 0 (capped) needs vcrun.network.rate");
  CHECK(error_of(R"({"vcrun": {"network": {"rate": "2mbit", "ceil": "1mbit"}}})") ==
        "vcrun.network.ceil: 1mbit is below vcrun.network.rate 2mbit");
  CHECK(error_of(R"({"vcrun": {"network": {"rate": "2gbit", "linkRate": "1gbit"}}})") ==
        "vcrun.network.rate: 2gbit is above vcrun.network.linkRate 1gbit");
  CHECK(error_of(R"({"vcrun": {"network": {"egress": "eth0"}}})") ==
        "vcrun.network.egress: needs vcrun.network.rate, vcrun.network.ceil or vcrun.network.share");
  CHECK(error_of(R"({"vcrun": {"network": {"share": 1, "egress": "a/b"}}})").rfind("vcrun.network.egress: must be an interface name", 0) == 0);
  CHECK(error_of(R"({"linux": {"namespaces": [{"type": "mount"}, {"type": "network"}]},
                     "vcrun": {"network": {"rate": "1mbit"}}})")
            .rfind("vcrun.network.rate: shapes host or bridge mode only", 0) == 0);
  CHECK(error_of(R"({"linux": {"namespaces": [{"type": "mount"}, {"type": "network"}]},
                     "vcrun": {"network": {"mode": "bridge", "rate": "1mbit"}}})") == "<accepted>");
}

TEST_CASE("quick flags --net-rate/--net-ceil/--net-share: errors name the flag", "[unit]") {
  // One fresh ResourceFlags per case.
  auto flags = [](std::string rate, std::string ceil, std::string share) {
    ResourceFlags f;
    f.net_rate = std::move(rate);
    f.net_ceil = std::move(ceil);
    f.net_share = std::move(share);
    return f;
  };
  CHECK(flag_error("host", flags("10", "", "")).rfind("--net-rate: needs a unit", 0) == 0);
  // Checks after the flags were parsed name the spec path; cmd/ turns it into the flag,
  // also where the reason names another field.
  CHECK(flag_error("none", flags("", "", "2")).rfind("--net-share: shapes host or bridge mode only", 0) == 0);
  CHECK(flag_error("host", flags("", "", "2")) == "<accepted>");
  CHECK(flag_error("bridge", flags("", "", "2")) == "<accepted>");
  CHECK(flag_error("host", flags("", "", "x")).rfind("--net-share: expected a number", 0) == 0);
  CHECK(flag_error("host", flags("20mbit", "10mbit", "")) == "--net-ceil: 10mbit is below --net-rate 20mbit");
}
