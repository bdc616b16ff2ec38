// [security] A hostile bundle against the device policy and vcrun's bounds: a node listed
// in linux.devices is not an allow rule; an over-long device rule list, a megabyte
// root.path and a state.json of random bytes each get vcrun's own one-line error, cheaply.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>

#include "cgroup/device_bpf.hpp"
#include "support/harness.hpp"
#include "vcrun/spec.hpp"

using namespace vcrun::test;
using nlohmann::json;

namespace {

// Reads a record of the host's kernel log through /dev/kmsg (char 1:11), listed in
// linux.devices; CAP_SYSLOG because kernel.dmesg_restrict may be 1.
Result read_kmsg(const std::string& tag, const json& rules) {
  auto config = default_config(
      {"/bin/sh", "-c",
       "test -c /dev/kmsg && echo node=yes; e=$(head -n 1 /dev/kmsg 2>&1 >/dev/null) && echo read=ok || "
       "echo \"read=refused $e\""});
  for (const char* set : {"bounding", "effective", "permitted"})
    config["process"]["capabilities"][set].push_back("CAP_SYSLOG");
  config["linux"]["devices"] = json::array(
      {{{"path", "/dev/kmsg"}, {"type", "c"}, {"major", 1}, {"minor", 11}, {"fileMode", 0644}}});
  config["linux"]["resources"]["devices"] = rules;
  auto id = unique_id(tag);
  return run_vcrun({"run", "--rm", id, "--bundle", make_bundle(id, config)});
}

json deny_all() { return json::array({{{"allow", false}, {"access", "rwm"}}}); }

json specific_rule(int i) {
  // Distinct, fully specified rules alternating allow and deny: nothing collapses them.
  return {{"allow", i % 2 == 0}, {"type", i % 3 == 0 ? "b" : "c"}, {"major", 200 + i % 50},
          {"minor", i}, {"access", i % 4 == 0 ? "rw" : "r"}};
}

}  // namespace

TEST_CASE("a linux.devices node is created but opened only as the device rules allow", "[security]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  if (::access("/dev/kmsg", R_OK) != 0) {
    WARN("SKIP: the host has no readable /dev/kmsg");
    return;
  }
  // CONTROL: with an allow rule for it the same read works: the node leads to the host's log.
  auto rules = deny_all();
  rules.push_back({{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 11}, {"access", "r"}});
  auto allowed = read_kmsg("kmsg-allow", rules);
  INFO(allowed.out << allowed.err);
  REQUIRE(allowed.status == 0);
  REQUIRE(allowed.out == "node=yes\nread=ok\n");
  // Deny-all and the node listed: created, but opening it is refused by the device program.
  auto denied = read_kmsg("kmsg-deny", deny_all());
  INFO(denied.out << denied.err);
  CHECK(denied.status == 0);
  CHECK(denied.out.rfind("node=yes\nread=refused ", 0) == 0);
  CHECK(denied.out.find("Operation not permitted") != std::string::npos);
}

TEST_CASE("an over-long device rule list is refused before anything is made", "[security]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  const size_t cap = vcrun::cgroup::kMaxDeviceRules;
  auto config = default_config({"/bin/true"});
  json rules = deny_all();
  for (size_t i = 1; i <= cap; ++i) rules.push_back(specific_rule(static_cast<int>(i)));
  config["linux"]["resources"]["devices"] = rules;
  auto id = unique_id("devrules");
  auto t0 = std::chrono::steady_clock::now();
  auto r = run_vcrun({"run", "--rm", id, "--bundle", make_bundle(id, config)});
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  INFO(r.err);
  CHECK(r.status != 0);
  CHECK(r.err.find("vcrun: linux.resources.devices: has " + std::to_string(cap + 1) + " rules, more than " +
                   std::to_string(cap) + " (each is verified by the kernel as part of one BPF program)\n") !=
        std::string::npos);
  CHECK(ms < 2000);
  CHECK_FALSE(state_dir_exists(id));

  // CONTROL: at the cap the container runs, and the kernel verifies the program quickly.
  rules.erase(rules.size() - 1);
  config["linux"]["resources"]["devices"] = rules;
  auto ok_id = unique_id("devrulesok");
  auto ok = run_vcrun({"run", "--rm", ok_id, "--bundle", make_bundle(ok_id, config)});
  INFO(ok.err);
  CHECK(ok.status == 0);
}

TEST_CASE("the verifier's time for a device rule list at the cap stays in milliseconds", "[security]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  const size_t cap = vcrun::cgroup::kMaxDeviceRules;
  // Worst cases for the generator: fully specified rules (the longest blocks), wildcard
  // numbers, partial access masks; each list followed by the defaults, as a container has it.
  std::vector<std::vector<vcrun::DeviceRule>> lists(3);
  for (size_t i = 0; i < cap; ++i) {
    int n = static_cast<int>(i);
    lists[0].push_back({n % 2 == 0, n % 3 == 0 ? 'b' : 'c', 200 + n % 50, n, n % 4 == 0 ? "rw" : "r"});
    lists[1].push_back({n % 2 == 1, n % 2 ? 'c' : 'b', n % 5 == 0 ? -1 : n, n % 7 == 0 ? -1 : n, "w"});
    lists[2].push_back({n % 3 != 0, 'a', n % 2 ? n : -1, -1, n % 2 ? "m" : "rw"});
  }
  for (size_t k = 0; k < lists.size(); ++k) {
    vcrun::ContainerSpec spec;
    spec.linux.resources.emplace();
    spec.linux.resources->devices = lists[k];
    auto program = vcrun::cgroup::generate_device_program(vcrun::cgroup::effective_device_rules(spec));
    auto t0 = std::chrono::steady_clock::now();
    auto fd = vcrun::cgroup::load_device_program(program, "cap test");
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
    std::printf("device rules at the cap (%zu), list %zu: %zu instructions, loaded in %lld us\n", cap, k,
                program.size(), static_cast<long long>(us));
    CHECK(fd.get() >= 0);
    CHECK(us < 50000);  // tens of ms at most, on a loaded machine
  }
}

TEST_CASE("a megabyte root.path is cut in the error, not echoed whole", "[security]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  auto config = default_config({"/bin/true"});
  config["root"]["path"] = work_dir() + "/" + std::string(1 << 20, 'a');
  for (const char* verb : {"create", "run"}) {
    auto id = unique_id("rootlong");
    auto r = run_vcrun_detached({verb, id, "--bundle", make_bundle(id, config)});
    INFO(verb << ": " << r.err.substr(0, 400));
    CHECK(r.status != 0);
    CHECK(r.err.size() < 400);
    CHECK(r.err.find("vcrun: root.path: is 1048") == 0);
    CHECK(r.err.find('\n') == r.err.size() - 1);
    CHECK_FALSE(state_dir_exists(id));
  }
  // A long one the kernel takes but that does not exist: named, and cut as other fields are.
  config["root"]["path"] = work_dir() + "/" + std::string(250, 'b') + "/" + std::string(250, 'c') + "/" +
                           std::string(250, 'd');
  auto id = unique_id("rootmissing");
  auto r = run_vcrun_detached({"run", id, "--bundle", make_bundle(id, config)});
  INFO(r.err);
  CHECK(r.status != 0);
  CHECK(r.err.size() < 400);
  CHECK(r.err.find("root.path \"") != std::string::npos);
  CHECK(r.err.find("bytes)") != std::string::npos);
  CHECK_FALSE(state_dir_exists(id));
}

TEST_CASE("a state.json of random bytes gets vcrun's own error, never a logging error", "[security]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  // Invalid UTF-8 first (the parser quotes it back), a brace (a format string's field).
  const std::string garbage = std::string("\xff\xfe{}\x01\x80 garbage {0} \xc3", 20);
  auto plant = [&](const std::string& id) {
    std::string dir = runtime_root() + "/" + id;
    ::mkdir(dir.c_str(), 0700);
    std::ofstream(dir + "/state.json", std::ios::binary) << garbage;
  };
  auto id = unique_id("garbage");
  plant(id);
  std::string log = work_dir() + "/" + id + ".log";
  struct Case {
    std::vector<std::string> args;
    bool succeeds;
  };
  std::vector<Case> cases = {{{"state", id}, false},
                             {{"delete", id}, false},
                             {{"list"}, true},
                             {{"--log-format", "json", "--log", log, "delete", id}, false},
                             {{"delete", "--force", id}, true}};
  for (const auto& c : cases) {
    auto r = run_vcrun(c.args);
    std::string joined;
    for (const auto& a : c.args) joined += a + " ";
    INFO(joined << "-> " << r.status << "\n" << r.err);
    CHECK((r.status == 0) == c.succeeds);
    CHECK(r.err.find("LOG ERROR") == std::string::npos);
    CHECK(r.err.find("\xff") == std::string::npos);
    CHECK_FALSE(r.err.empty());  // said why: an error, or the warning of list/delete --force
    CHECK((r.err.rfind("vcrun: ", 0) == 0 || r.err.rfind("time=", 0) == 0));
    CHECK(r.err.find("corrupt state") != std::string::npos);
  }
  std::ifstream in(log);
  std::string logged((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(logged.find("LOG ERROR") == std::string::npos);
  CHECK(logged.find("corrupt state") != std::string::npos);
  CHECK_FALSE(state_dir_exists(id));
}
