// Attack: a startContainer hook run with the init's privileges (issue 22 item 1). An image
// can plant the ELF loader a dynamically linked hook binary loads, so a hook must be the
// container process in all but its command. Run as root.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>

#include "security/init_isolation.hpp"
#include "support/harness.hpp"

namespace fs = std::filesystem;
using namespace vcrun::test;
using namespace vcrun::test::init_isolation;

namespace {

// "Name:\tvalue" lines of /proc/self/status printed with `prefix ` in front.
std::map<std::string, std::string> status_fields(const std::string& text, const std::string& prefix) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!prefix.empty() && line.rfind(prefix + " ", 0) != 0) continue;
    if (!prefix.empty()) line = line.substr(prefix.size() + 1);
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    out[line.substr(0, colon)] = value;
  }
  return out;
}

const char* kStatusProbe =
    "grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status";

}  // namespace

// Item 1. An image can plant the ELF loader a dynamically linked hook binary loads: whatever
// runs in a startContainer hook runs with the hook's privileges. They must be the container
// process's (runc, crun), not the init's full set without no_new_privs or seccomp.
TEST_CASE("a startContainer hook runs with the container process's capabilities, no_new_privs and seccomp",
          "[security]") {
  for (bool builtin_init : {false, true}) {
    INFO("vcrun.init " << builtin_init);
    auto id = unique_id(builtin_init ? "hooksec-init" : "hooksec");
    auto config = default_config({"sh", "-c", std::string(kStatusProbe) + " | sed 's/^/process /'"});
    if (builtin_init) config["vcrun"]["init"] = true;
    config["hooks"]["startContainer"] = {
        {{"path", "/bin/sh"}, {"args", {"sh", "-c", std::string(kStatusProbe) + " | sed 's/^/hook /'"}}}};
    auto bundle = make_bundle(id, config);
    auto r = run_vcrun({"run", "--rm", id, "--bundle", bundle});
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    auto process = status_fields(r.out, "process");
    auto hook = status_fields(r.out, "hook");
    REQUIRE(process.size() == 7);
    CHECK(process["NoNewPrivs"] == "1");
    CHECK(process["Seccomp"] == "2");
    CHECK(hook == process);

    // Control: the same probe with the privileges the init has (the host's root): every
    // capability, no no_new_privs, no filter. Equal sets above are not vacuous.
    auto host = status_fields(run({"/bin/sh", "-c", kStatusProbe}).out, "");
    REQUIRE(host.size() == 7);
    CHECK(host["NoNewPrivs"] == "0");
    CHECK(host["Seccomp"] == "0");
    CHECK(host["CapEff"] != process["CapEff"]);
    CHECK(host["CapBnd"] != process["CapBnd"]);
  }
}

// OCI: a startContainer hook's path resolves in the container. A binary only the image has
// runs; the host's binary at the same path does not (the planted-loader attack needs it).
TEST_CASE("a startContainer hook's path is resolved in the container's root", "[security]") {
  auto id = unique_id("hookpath");
  auto config = default_config({"true"});
  const std::string only_in_image = "/imagehook-" + id;
  // Control: the path is not the host's, so only the container's root can provide it.
  REQUIRE(!fs::exists(only_in_image));
  config["hooks"]["startContainer"] = {
      {{"path", only_in_image}, {"args", {"sh", "-c", "echo image-hook-ran"}}},
      // busybox's sh in the image (the host's /bin/sh is another shell).
      {{"path", "/bin/sh"}, {"args", {"sh", "-c", "echo sh-is-$(readlink /proc/self/exe)"}}}};
  auto bundle = make_bundle(id, config);
  fs::create_hard_link(bundle + "/rootfs/bin/busybox", bundle + "/rootfs" + only_in_image);
  auto r = run_vcrun({"run", "--rm", id, "--bundle", bundle});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(contains(r.out, "image-hook-ran"));
  CHECK(contains(r.out, "sh-is-/bin/busybox"));

  // Missing in the container: reported as such, before anything runs.
  auto id2 = unique_id("hookmissing");
  auto config2 = default_config({"echo", "process-ran"});
  config2["hooks"]["startContainer"] = {{{"path", "/no-such-hook-" + id2}}};
  auto r2 = run_vcrun({"run", "--rm", id2, "--bundle", make_bundle(id2, config2)});
  INFO(r2.out << r2.err);
  CHECK(r2.status != 0);
  CHECK(!contains(r2.out, "process-ran"));
  auto line = one_error_line(r2);
  CHECK(contains(line, "hooks.startContainer[0]"));
  CHECK(contains(lower(line), "no such file or directory"));
  CHECK(!contains(line, "status 127"));
  CHECK(!fs::exists(runtime_root() + "/" + id2));
}
