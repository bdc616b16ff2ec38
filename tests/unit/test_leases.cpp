// Address leases (net/state/leases): allocation order, holders, and a torn take.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "net/state/leases.hpp"

using namespace vcrun::net;
namespace fs = std::filesystem;

TEST_CASE("leases: the first free address, holders and release by the holder only", "[unit]") {
  fs::path base = fs::temp_directory_path() / ("vcrun-leases-" + std::to_string(::getpid()));
  fs::remove_all(base);
  fs::path dir = netns_lease_dir(base.string());
  CHECK(dir.parent_path() == base);
  {
    Leases l(dir.string());
    auto subnet = *parse_ipv4_net("10.5.0.0/29");
    Ipv4 a = l.first_free("br", subnet);
    CHECK(to_string(a) == "10.5.0.2");
    l.take("br", a, "one");
    CHECK(to_string(l.first_free("br", subnet)) == "10.5.0.3");
    CHECK(l.holder("br", a) == "one");
    l.release("br", a, "two");  // not its lease
    CHECK(l.count("br") == 1);
    CHECK(l.held_by("one").size() == 1);
    l.release("br", a, "one");
    CHECK(l.count("br") == 0);
    // A take killed between creating the file and writing the id leaves it empty: the
    // container whose record names the address frees it.
    std::ofstream(dir / "br" / "10.5.0.4").flush();
    CHECK(l.count("br") == 1);
    l.release("br", *parse_ipv4("10.5.0.4"), "three");
    CHECK(l.count("br") == 0);
    l.forget("br");
    CHECK_FALSE(l.any_bridge());
  }
  // With no bridge left, the namespace's directory goes; the lock stays beside it.
  CHECK_FALSE(fs::exists(dir));
  CHECK(fs::exists(base / ".lock"));
  fs::remove_all(base);
}
