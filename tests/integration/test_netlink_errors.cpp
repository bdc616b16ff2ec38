// Integration: rtnetlink errors carry the kernel's extended-ack text (net/transport/netlink),
// asked in a network namespace of the test's own.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <unistd.h>

#include "net/objects/addresses.hpp"
#include "net/objects/links.hpp"
#include "net/transport/netlink.hpp"
#include "support/harness.hpp"
#include "vcrun/error.hpp"

using namespace vcrun;

TEST_CASE("rtnetlink errors name the request and carry the kernel's extack text", "[integration]") {
  if (!test::is_root()) return;
  std::string ns = "vcrun-test-" + std::to_string(::getpid()) + "-extack";
  REQUIRE(test::run({"/usr/sbin/ip", "netns", "add", ns}).status == 0);
  int fd = ::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  {
    auto nl = net::Socket::in_netns(NETLINK_ROUTE, fd);
    CHECK_FALSE(net::find_link(nl, "vcrun-none"));
    auto lo = net::find_link(nl, "lo");
    REQUIRE(lo);
    CHECK(lo->index == 1);
    CHECK(lo->kind == "");
    try {
      net::add_address(nl, 9999, net::Ipv4{0x0a000001}, 8);
      FAIL("an address on a link that does not exist was accepted");
    } catch (const Error& e) {
      INFO(e.what());
      CHECK(e.code() == ENODEV);
      // The kernel's own words follow in parentheses (6.x: "ipv4: Device not found").
      CHECK(std::string(e.what()).starts_with("add address 10.0.0.1/8: No such device ("));
      CHECK(std::string(e.what()).size() > std::string("add address 10.0.0.1/8: No such device ()").size());
    }
    net::create_bridge(nl, "br-t");
    try {
      net::create_bridge(nl, "br-t");
      FAIL("a second bridge of the same name was created");
    } catch (const Error& e) {
      CHECK(e.code() == EEXIST);
      CHECK(std::string(e.what()).starts_with("create bridge br-t: File exists"));
    }
    auto br = net::find_link(nl, "br-t");
    REQUIRE(br);
    CHECK(br->kind == "bridge");
    CHECK(net::delete_link(nl, "br-t"));
    CHECK_FALSE(net::delete_link(nl, "br-t"));
  }
  ::close(fd);
  test::run({"/usr/sbin/ip", "netns", "del", ns});
}
