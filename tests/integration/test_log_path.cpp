// Integration: --log names a file in an existing directory; vcrun makes the file, never
// a directory above it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "support/harness.hpp"

namespace fs = std::filesystem;
using namespace vcrun::test;

TEST_CASE("a log file in a missing directory fails with one line and creates nothing", "[integration]") {
  const std::string base = work_dir() + "/logpath";
  fs::create_directories(base);
  auto r = run({vcrun_binary(), "--root", runtime_root(), "--log", base + "/missing/x/log", "list"});
  INFO(r.err);
  CHECK(r.status == 1);
  CHECK(r.err == "vcrun: --log: open " + base + "/missing/x/log: No such file or directory\n");
  CHECK(r.out.empty());
  CHECK(!fs::exists(base + "/missing"));

  // A file in an existing directory is made, and an error goes there as well.
  auto ok = run({vcrun_binary(), "--root", runtime_root(), "--log", base + "/vcrun.log", "state",
                 "no-such-container"});
  CHECK(ok.status == 1);
  std::ifstream in(base + "/vcrun.log");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  CHECK(text.find("level=error msg=\"container no-such-container does not exist\"") != std::string::npos);
  fs::remove_all(base);
}
