// Integration: user namespaces through create and start, as podman --userns and rootless
// tooling use them: the start fifo, bind sources the mapped root could not reach, errors.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "support/harness.hpp"

using namespace vcrun::test;

namespace {

nlohmann::json userns_config(const std::vector<std::string>& args) {
  auto config = default_config(args);
  config["linux"]["namespaces"].push_back({{"type", "user"}});
  config["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  config["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  return config;
}

}  // namespace

TEST_CASE("a user namespace container is created, started and binds a private host dir",
          "[integration]") {
  auto id = unique_id("usercs");
  // The source lives below a directory only host root may search: the runtime resolves
  // it, not the container's mapped root.
  auto hidden = work_dir() + "/" + id + "-private";
  std::filesystem::create_directories(hidden + "/data");
  REQUIRE(::chmod(hidden.c_str(), 0700) == 0);
  std::ofstream(hidden + "/data/file") << "from the host\n";
  REQUIRE(::chmod((hidden + "/data").c_str(), 0755) == 0);
  REQUIRE(::chmod((hidden + "/data/file").c_str(), 0644) == 0);
  auto config = userns_config({"sh", "-c", "id -u; cat /tmp/file"});
  config["mounts"].push_back({{"destination", "/tmp"},  // exists: the rootfs is host root's
                              {"type", "bind"},
                              {"source", hidden + "/data"},
                              {"options", {"rbind", "ro"}}});
  auto out = work_dir() + "/" + id + ".out";
  auto bundle = make_bundle(id, config);
  auto slurp = [&] {
    std::ifstream in(out);
    return std::string((std::istreambuf_iterator<char>(in)), {});
  };
  auto r = run({"/bin/sh", "-c", "exec \"$@\" >" + out + " 2>&1 </dev/null", "sh",
                vcrun_binary(), "--root", runtime_root(), "create", id, "--bundle", bundle});
  INFO(slurp());
  REQUIRE(r.status == 0);
  r = run_vcrun({"start", id});
  INFO(r.err);
  REQUIRE(r.status == 0);
  for (int i = 0; i < 100 && run_vcrun({"state", id}).out.find("stopped") == std::string::npos;
       ++i)
    ::usleep(20000);
  CHECK(slurp() == "0\nfrom the host\n");
  CHECK(run_vcrun({"delete", "--force", id}).status == 0);
}
