// Unit tests: the CPU / memory-node list parser (base/cpu_list), strict and lenient.
#include <catch2/catch.hpp>

#include <string>

#include "base/cpu_list.hpp"

using namespace vcrun;

namespace {

// "0-3,8" back from the ranges, to compare parses at a glance.
std::string format(const std::vector<cpu_list::Range>& ranges) {
  std::string out;
  for (const auto& r : ranges) {
    if (!out.empty()) out += ",";
    out += std::to_string(r.first);
    if (r.last != r.first) {
      out += '-';
      out += std::to_string(r.last);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("cpu lists parse strictly", "[unit]") {
  for (const char* ok : {"", "0", "0-3", "0-3,8,10-11", "4,0", "9999999"}) {
    INFO(ok);
    auto r = cpu_list::parse(ok);
    REQUIRE(r);
    CHECK(format(*r) == ok);
  }
  CHECK(format(*cpu_list::parse("1-1")) == "1");  // a one-id range
  for (const char* bad : {",", "0,", ",0", "0,,1", "3-1", "1-", "-1", "0-a", "a", "0;1", "1-2-3", " 0", "0\n",
                          "10000000", "0-10000000", "+1"}) {
    INFO(bad);
    CHECK(!cpu_list::parse(bad));
  }
}

TEST_CASE("kernel cpu lists parse leniently and count", "[unit]") {
  CHECK(format(cpu_list::parse_lenient("0-3,8\n")) == "0-3,8");
  CHECK(format(cpu_list::parse_lenient(" 0 , 2-3 \n")) == "0,2-3");
  CHECK(format(cpu_list::parse_lenient("2-1,x,5")) == "5");
  CHECK(cpu_list::parse_lenient("\n").empty());
  CHECK(cpu_list::count(cpu_list::parse_lenient("0-3,8\n")) == 5);
  CHECK(cpu_list::count(cpu_list::parse_lenient("0")) == 1);
  CHECK(cpu_list::count(cpu_list::parse_lenient("")) == 0);
}
