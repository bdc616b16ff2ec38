// Integration: linux.namespaces[i].path must name a namespace of the entry's type. A FIFO,
// a regular file or a namespace of another type is refused at once, naming the entry.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "support/harness.hpp"

namespace fs = std::filesystem;
using namespace vcrun::test;

TEST_CASE("a namespace path that is no namespace of its type is refused naming the entry",
          "[integration]") {
  const std::string fifo = work_dir() + "/ns-fifo", file = work_dir() + "/ns-file";
  ::unlink(fifo.c_str());
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::ofstream(file) << "not a namespace\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {fifo, "is not a namespace file"},
      {file, "is not a namespace file"},
      {"/dev/null", "is not a namespace file"},
      {"/proc/self/ns/net", "is a network namespace, not uts"},
      {work_dir() + "/missing", "No such file or directory"},
  };
  for (const auto& [path, reason] : cases) {
    INFO("path " << path);
    auto config = default_config({"true"});
    config["linux"]["namespaces"].push_back({{"type", "uts"}, {"path", path}});
    auto index = config["linux"]["namespaces"].size() - 1;
    // Any other uts entry would be a duplicate.
    auto& list = config["linux"]["namespaces"];
    for (size_t i = 0; i < index; ++i)
      if (list[i]["type"] == "uts") {
        list.erase(i);
        --index;
        break;
      }
    auto id = unique_id("nspath");
    auto t0 = std::chrono::steady_clock::now();
    // `timeout`: the FIFO used to block create in open(2) forever.
    auto r = run({"/usr/bin/timeout", "-s", "KILL", "20", vcrun_binary(), "--root", runtime_root(),
                  "run", id, "--bundle", make_bundle(id, config)});
    auto took = std::chrono::steady_clock::now() - t0;
    INFO(r.err);
    CHECK(r.status == 1);
    CHECK(r.err.find("linux.namespaces[" + std::to_string(index) + "].path: ") != std::string::npos);
    CHECK(r.err.find(reason) != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(took < std::chrono::seconds(10));
    CHECK(!fs::exists(runtime_root() + "/" + id));
    if (fs::exists(runtime_root() + "/" + id)) run_vcrun({"delete", "--force", id});
  }
  ::unlink(fifo.c_str());
}
