// Egress shaping's policy (net/policy/shaping) over a fake kernel: the class and the HTB root
// made with the first class and removed with the last, update's admission, the record first.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>

#include "net/policy/shaping.hpp"
#include "net_fake_kernel.hpp"

using namespace vcrun;
using namespace vcrun::net;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kMbit = 1'000'000;

struct Fixture {
  fs::path base;
  std::string dir;
  test::FakeKernel k;
  unsigned eth = 0;
  std::vector<ShapeAttachment> records;

  Fixture() {
    static int n = 0;
    base = fs::temp_directory_path() / ("vcrun-net-shaping-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
    fs::remove_all(base);
    dir = (base / "ns").string();
    eth = k.add_link("eth0");
    k.default_device = "eth0";
    k.speeds["eth0"] = 100 * kMbit;
  }
  ~Fixture() { fs::remove_all(base); }

  ShapeAttachment attach(const std::string& id, std::optional<uint64_t> rate, double share = 1) {
    ShapeRequest req;
    req.id = id;
    req.rate = rate;
    req.share = share;
    req.cgroup_level = 2;
    req.cgroup_id = 77;
    size_t before = k.count("set_htb_class");
    return attach_shaping(k, dir, req, [&](const ShapeAttachment& a) {
      CHECK(k.count("set_htb_class") == before);  // recorded before its class is made
      records.push_back(a);
    });
  }
  const HtbClass* cls(uint32_t minor) const {
    auto it = k.classes.find({eth, minor});
    return it == k.classes.end() ? nullptr : &it->second;
  }
};

}  // namespace

TEST_CASE("net shaping: the first class makes the HTB root, the last removes it", "[unit]") {
  Fixture f;
  auto a = f.attach("one", 30 * kMbit);
  CHECK(a.device == "eth0");
  CHECK(a.minor == kHtbFirstLeafMinor);
  CHECK(a.root == f.dir);
  REQUIRE(f.records.size() == 1);
  CHECK(f.k.qdiscs.count(f.eth) == 1);
  REQUIRE(f.cls(a.minor));
  CHECK(f.cls(a.minor)->rate_bytes == 99 * kMbit / 8);  // alone: its 30 and all of the rest
  CHECK(f.k.tags.at("one") == htb_handle(a.minor));

  auto b = f.attach("two", std::nullopt, 1);
  CHECK(b.minor == kHtbFirstLeafMinor + 1);
  CHECK(f.k.count("create_htb_root") == 1);
  // Rebalanced: 30 + 69/2 and 69/2 mbit.
  CHECK(f.cls(a.minor)->rate_bytes == 64'500'000 / 8);
  CHECK(f.cls(b.minor)->rate_bytes == 34'500'000 / 8);

  detach_shaping(f.k, a, "one");
  CHECK_FALSE(f.cls(a.minor));
  CHECK(f.k.tags.count("one") == 0);
  CHECK(f.k.qdiscs.count(f.eth) == 1);
  CHECK(f.cls(b.minor)->rate_bytes == 99 * kMbit / 8);
  CHECK(f.k.count("remove_chains") == 0);

  detach_shaping(f.k, b, "two");
  CHECK(f.k.qdiscs.count(f.eth) == 0);
  CHECK(f.k.classes.empty());
  CHECK(f.k.count("remove_chains") == 1);
  CHECK(f.k.count("remove_table_if_unused") == 1);
  CHECK_FALSE(fs::exists(f.dir + ".shaping"));
}

TEST_CASE("net shaping: a reservation the link cannot hold is refused before the record", "[unit]") {
  Fixture f;
  f.attach("one", 60 * kMbit);
  CHECK_THROWS_WITH(f.attach("two", 50 * kMbit),
                    "vcrun.network.rate: 50mbit does not fit on eth0: 60mbit of its 100mbit are reserved by 1 "
                    "container(s)");
  CHECK(f.records.size() == 1);
  CHECK(f.k.classes.size() == 1);
  f.k.default_device.clear();
  CHECK_THROWS_WITH(f.attach("three", std::nullopt), "vcrun.network.egress: there is no default route: name the device to shape");
  Fixture g;
  g.k.qdiscs[g.eth] = {0x1u << 16, "fq_codel"};
  CHECK_THROWS_WITH(g.attach("one", std::nullopt), "vcrun.network.egress: eth0 has a root qdisc vcrun did not make (fq_codel 1:)");
  Fixture h;
  h.k.speeds.clear();
  CHECK_THROWS_WITH(h.attach("one", std::nullopt),
                    "vcrun.network.linkRate: the link speed of eth0 is unknown: give the link rate to shape at");
}

TEST_CASE("net shaping: update re-admits the class against the others and rebalances", "[unit]") {
  Fixture f;
  auto a = f.attach("one", 40 * kMbit);
  auto b = f.attach("two", 40 * kMbit);
  ShapeChange raise;
  raise.rate = 60 * kMbit;
  update_shaping(f.k, b, "two", raise);  // 40 + 60: b's own 40 is not counted twice
  CHECK_THROWS_WITH(update_shaping(f.k, b, "two", ShapeChange{61 * kMbit, std::nullopt, std::nullopt}),
                    "vcrun.network.rate: 61mbit does not fit on eth0: 40mbit of its 100mbit are reserved by 1 "
                    "container(s)");
  // The 60mbit stayed: 40 + 60 of the link, the 1mbit default class leaving nothing to share.
  CHECK(f.cls(a.minor)->rate_bytes == 40 * kMbit / 8);
  CHECK(f.cls(b.minor)->rate_bytes == 60 * kMbit / 8);
  ShapeChange cap;
  cap.share = 0;
  update_shaping(f.k, b, "two", cap);
  CHECK(f.cls(b.minor)->ceil_bytes == 60 * kMbit / 8);
  CHECK_THROWS_WITH(update_shaping(f.k, b, "one", cap), "the HTB class of one on eth0 is gone");
}

TEST_CASE("net shaping: a failing step leaves a record whose detach undoes what was made", "[unit]") {
  for (const char* step : {"create_htb_root", "set_htb_class", "tag_cgroup"}) {
    Fixture f;
    f.k.fail_call = step;
    CHECK_THROWS_WITH(f.attach("one", 10 * kMbit), std::string(step) + ": injected failure");
    REQUIRE(f.records.size() == 1);
    detach_shaping(f.k, f.records[0], "one");
    CHECK(f.k.classes.empty());
    CHECK(f.k.tags.empty());
    CHECK(f.k.qdiscs.count(f.eth) == 0);
    CHECK_FALSE(fs::exists(f.dir + ".shaping"));
  }
}
