// Bridge mode's policy (net/policy/bridge) over a fake kernel: what attach makes and in which
// order, that the record comes first and covers a failed attach, and what detach undoes.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>

#include "net/policy/bridge.hpp"
#include "net/state/leases.hpp"
#include "net_fake_kernel.hpp"

using namespace vcrun;
using namespace vcrun::net;
namespace fs = std::filesystem;

namespace {

constexpr int kContainerNetns = 42;  // the fake's name for the first container's namespace

struct Fixture {
  fs::path base;
  std::string dir;
  test::FakeKernel k;
  std::vector<BridgeAttachment> records;
  int netns = kContainerNetns;  // each container has its own

  Fixture() {
    static int n = 0;
    base = fs::temp_directory_path() / ("vcrun-net-bridge-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
    fs::remove_all(base);
    dir = (base / "ns").string();
  }
  ~Fixture() { fs::remove_all(base); }

  BridgeAttachment attach(const std::string& holder, const std::string& ip = "") {
    BridgeRequest req{holder, "vt-br", *parse_ipv4_net("10.9.0.0/24"),
                      ip.empty() ? std::nullopt : parse_ipv4(ip), {}};
    size_t before = k.count("create_veth");
    return attach_bridge(k, dir, req, netns++, [&](const BridgeAttachment& a) {
      CHECK(k.count("create_veth") == before);  // recorded before the container's link is made
      records.push_back(a);
    });
  }
  std::optional<std::string> holder(const std::string& ip) {
    Leases l(dir);
    return l.holder("vt-br", *parse_ipv4(ip));
  }
};

}  // namespace

TEST_CASE("net bridge: attach leases an address and makes the bridge, veth, address and route", "[unit]") {
  Fixture f;
  auto a = f.attach("one");
  REQUIRE(f.records.size() == 1);
  CHECK(f.records[0].veth == a.veth);
  CHECK(a.ip == "10.9.0.2");
  CHECK(a.veth == veth_name(*parse_ipv4("10.9.0.2")));
  CHECK(a.leases == f.dir);
  CHECK(f.holder("10.9.0.2") == "one");

  auto* bridge = f.k.link("vt-br");
  REQUIRE(bridge);
  CHECK(bridge->info.kind == "bridge");
  CHECK(bridge->up);
  auto* veth = f.k.link(a.veth);
  REQUIRE(veth);
  CHECK(veth->master == bridge->info.index);
  auto* eth0 = f.k.link("eth0", kContainerNetns);
  REQUIRE(eth0);
  CHECK(eth0->up);
  using Address = test::FakeKernel::Address;
  CHECK(f.k.addresses == std::vector<Address>{{kHostNetns, bridge->info.index, *parse_ipv4("10.9.0.1"), 24},
                                              {kContainerNetns, eth0->info.index, *parse_ipv4("10.9.0.2"), 24}});
  REQUIRE(f.k.default_routes.size() == 1);
  CHECK(std::get<0>(f.k.default_routes[0]) == kContainerNetns);
  CHECK(to_string(std::get<1>(f.k.default_routes[0])) == "10.9.0.1");
  CHECK(f.k.forwarding);
  CHECK(f.k.masquerades.count("vt-br") == 1);

  // A second container: the next address, the bridge and its NAT kept as they are.
  auto b = f.attach("two");
  CHECK(b.ip == "10.9.0.3");
  CHECK(f.k.count("create_bridge") == 1);
  CHECK(f.k.count("ensure_masquerade") == 1);
}

TEST_CASE("net bridge: a taken address and a link that is not a bridge are refused before the record", "[unit]") {
  Fixture f;
  f.attach("one", "10.9.0.7");
  CHECK_THROWS_WITH(f.attach("two", "10.9.0.7"), "vcrun.network.ip: 10.9.0.7 is in use by container \"one\"");
  CHECK(f.records.size() == 1);
  Fixture g;
  g.k.add_link("vt-br", "veth");
  CHECK_THROWS_WITH(g.attach("one"), "vcrun.network.bridge: \"vt-br\" is taken by a link that is not a bridge (veth)");
  CHECK(g.records.empty());
  CHECK(g.k.count("create_veth") == 0);
}

TEST_CASE("net bridge: detach deletes the veth and frees the lease, the bridge stays", "[unit]") {
  Fixture f;
  auto a = f.attach("one");
  detach_bridge(f.k, a, "one", /*init_gone=*/false);
  CHECK_FALSE(f.k.link(a.veth));
  CHECK_FALSE(f.holder(a.ip));
  CHECK(f.k.link("vt-br"));
  CHECK(f.k.masquerades.count("vt-br") == 1);
  // Another holder's record for the same address leaves the new holder's lease and veth.
  auto b = f.attach("two");
  CHECK(b.ip == a.ip);
  detach_bridge(f.k, a, "one", false);
  CHECK(f.k.link(b.veth));
  CHECK(f.holder(b.ip) == "two");
}

TEST_CASE("net bridge: with the init gone the veth is taken down and out of the bridge, not deleted", "[unit]") {
  Fixture f;
  auto a = f.attach("one");
  detach_bridge(f.k, a, "one", /*init_gone=*/true);
  auto* veth = f.k.link(a.veth);
  REQUIRE(veth);
  CHECK_FALSE(veth->up);
  CHECK(veth->master == 0);
  CHECK(f.k.count("delete_link") == 0);
  CHECK_FALSE(f.holder(a.ip));
}

TEST_CASE("net bridge: a failing step leaves a record whose detach undoes what was made", "[unit]") {
  for (const char* step : {"create_veth", "add_default_route", "publish_ports"}) {
    Fixture f;
    f.k.fail_call = step;
    CHECK_THROWS_WITH(f.attach("one"), std::string(step) + ": injected failure");
    REQUIRE(f.records.size() == 1);
    const BridgeAttachment& a = f.records[0];
    CHECK(f.holder(a.ip) == "one");  // the lease is the container's: its record frees it
    detach_bridge(f.k, a, "one", false);
    CHECK_FALSE(f.k.link(a.veth));
    CHECK_FALSE(f.holder(a.ip));
  }
}

TEST_CASE("net bridge: a stale veth of the leased address is deleted and made again", "[unit]") {
  Fixture f;
  f.k.add_link(veth_name(*parse_ipv4("10.9.0.2")), "veth");
  // first_free passes an address whose host end is still there: 10.9.0.2 is skipped.
  CHECK(f.attach("one").ip == "10.9.0.3");
  Fixture g;
  std::string stale = veth_name(*parse_ipv4("10.9.0.5"));
  g.k.add_link(stale, "veth");
  auto a = g.attach("one", "10.9.0.5");  // asked for: the stale link goes
  CHECK(a.veth == stale);
  CHECK(g.k.count("delete_link") == 1);
  CHECK(g.k.count("create_veth") == 2);
  REQUIRE(g.k.link(stale));
  CHECK(g.k.link(stale)->master == g.k.link("vt-br")->info.index);
}
