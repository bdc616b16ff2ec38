// Unit tests of the OCI features document: everything it claims, the parser accepts and
// the mechanisms apply (OCI tooling trusts it: Docker enables "rro" from it, for one).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <bit>

#include "runtime/rootfs/mount_options.hpp"
#include "runtime/security/capabilities.hpp"
#include "runtime/security/seccomp.hpp"
#include "vcrun/runtime.hpp"

using namespace vcrun;
using nlohmann::json;

namespace {

json features() { return json::parse(features_json()); }

// A minimal config.json with `linux` as given plus the mount namespace vcrun requires.
json config_with(json linux) {
  auto& ns = linux["namespaces"];
  if (std::find(ns.begin(), ns.end(), json{{"type", "mount"}}) == ns.end())
    ns.push_back({{"type", "mount"}});
  return {{"ociVersion", features()["ociVersionMax"]},
          {"process", {{"args", {"true"}}, {"cwd", "/"}}},
          {"root", {{"path", "/"}}},
          {"linux", linux}};
}

}  // namespace

TEST_CASE("features: the document has the OCI shape", "[unit]") {
  auto f = features();
  CHECK(f["ociVersionMin"] == "1.0.0");
  CHECK(f["linux"]["cgroup"]["v2"] == true);
  CHECK(f["linux"]["cgroup"]["v1"] == false);
  CHECK(f["linux"]["seccomp"]["enabled"] == true);
  CHECK(f["hooks"].size() == 6);
  auto options = f["mountOptions"].get<std::vector<std::string>>();
  CHECK(std::count(options.begin(), options.end(), "rro") == 1);
}

TEST_CASE("features: every mount option listed has a meaning, none is passed on as data", "[unit]") {
  for (const auto& word : features()["mountOptions"].get<std::vector<std::string>>()) {
    INFO(word);
    auto o = mounts::parse_mount_options({word});
    CHECK(o.data.empty());
    if (word != "defaults") CHECK(o.ignored.empty());  // mount(8)'s "no options"
  }
  // A word vcrun does not know is data for the filesystem, and is not listed.
  CHECK(mounts::parse_mount_options({"mode=755"}).data.size() == 1);
}

TEST_CASE("features: every namespace and capability listed is accepted", "[unit]") {
  auto f = features();
  for (const auto& type : f["linux"]["namespaces"]) {
    INFO(type);
    json linux = {{"namespaces", {{{"type", type}}}}};
    if (type == "user") {
      linux["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
      linux["gidMappings"] = linux["uidMappings"];
    }
    CHECK_NOTHROW(parse_spec(config_with(linux).dump(), "/"));
  }
  auto caps = f["linux"]["capabilities"].get<std::vector<std::string>>();
  CHECK(caps.size() >= 38);  // CAP_CHOWN .. CAP_AUDIT_READ exist on every supported kernel
  CHECK(std::popcount(security::capability_mask(caps, "caps")) == static_cast<int>(caps.size()));
}

TEST_CASE("features: every seccomp action, operator, arch and supported flag compiles", "[unit]") {
  auto s = features()["linux"]["seccomp"];
  CHECK(std::count(s["actions"].begin(), s["actions"].end(), "SCMP_ACT_NOTIFY") == 1);
  json args = json::array();
  for (const auto& op : s["operators"]) args.push_back({{"index", 0}, {"value", 1}, {"op", op}});
  // One syscall per action: libseccomp refuses two actions for the same syscall and args.
  const char* names[] = {"getppid", "getpid", "getuid", "getgid", "geteuid", "getegid",
                         "getpgrp", "sched_yield", "getsid", "getpgid"};
  REQUIRE(s["actions"].size() <= std::size(names));
  json syscalls = json::array();
  for (size_t i = 0; i < s["actions"].size(); ++i)
    syscalls.push_back({{"names", {names[i]}}, {"action", s["actions"][i]}, {"args", args}});
  for (const auto& arch : s["archs"]) {
    INFO(arch);
    json seccomp = {{"defaultAction", "SCMP_ACT_ALLOW"},
                    {"listenerPath", "/run/seccomp-agent.sock"},  // for SCMP_ACT_NOTIFY
                    {"architectures", {arch}},
                    {"flags", s["supportedFlags"]},
                    {"syscalls", syscalls}};
    auto spec = parse_spec(config_with({{"seccomp", seccomp}}).dump(), "/");
    REQUIRE(spec.linux.seccomp);
    CHECK_NOTHROW(security::SeccompProgram::compile(*spec.linux.seccomp));
  }
  // Supported flags are known flags the kernel took; the known ones all parse.
  auto known = s["knownFlags"].get<std::vector<std::string>>();
  for (const auto& flag : s["supportedFlags"])
    CHECK(std::count(known.begin(), known.end(), flag) == 1);
  json seccomp = {{"defaultAction", "SCMP_ACT_ALLOW"}, {"flags", known}};
  CHECK_NOTHROW(parse_spec(config_with({{"seccomp", seccomp}}).dump(), "/"));
}
