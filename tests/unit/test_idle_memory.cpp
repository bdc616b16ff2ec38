// Unit tests: giving back idle memory (base/idle_memory) keeps the process working.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "base/idle_memory.hpp"

using namespace vcrun;

namespace {

// RssFile of this process in kB: the file pages mapped in its page tables.
long rss_file_kb() {
  std::ifstream in("/proc/self/status");
  std::string key;
  long value = -1;
  while (in >> key) {
    if (key == "RssFile:") {
      in >> value;
      break;
    }
    in.ignore(4096, '\n');
  }
  return value;
}

}  // namespace

TEST_CASE("releasing idle memory unmaps read-only file pages and keeps code and data",
          "[unit]") {
  std::vector<std::string> kept;
  for (int i = 0; i < 1000; ++i) kept.push_back("entry " + std::to_string(i));
  {
    std::vector<char> freed(4 << 20, 'x');  // heap that is free again at the release
  }
  long before = rss_file_kb();
  REQUIRE(before > 0);
  release_idle_memory();
  long after = rss_file_kb();  // reading status faults a few pages back in
  CHECK(after < before);
  // Data (heap, writable segments) is untouched; code and constants fault back in.
  REQUIRE(kept.size() == 1000);
  CHECK(kept[999] == "entry 999");
  CHECK(std::to_string(42) + "!" == "42!");
  release_idle_memory();  // twice is harmless
  CHECK(rss_file_kb() > 0);
}
