// Integration: the device policy (cgroup BPF) as a container's process meets it. The
// default policy comes from the program vcrun keeps on its parent cgroup; a container with
// rules of its own gets its own program, which replaces that one.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include "cgroup/device_bpf.hpp"
#include "support/device_rules.hpp"
#include "support/harness.hpp"
#include "vcrun/error.hpp"

using namespace vcrun::test;
using nlohmann::json;

namespace {

// A twin of /dev/kmsg (char 1:11) opened write-only: that open needs no capability (unlike
// reading the kernel log), so a refusal can only come from the device policy.
const std::string kProbe =
    "mknod /dev/kmsg-probe c 1 11 || { echo mknod-failed; exit 3; }; "
    "(exec 3>/dev/kmsg-probe) 2>/dev/null && echo kmsg=open || echo kmsg=refused; "
    "(exec 3>/dev/null) 2>/dev/null && echo null=open || echo null=refused";

Result run_probe(const std::string& tag, const json& devices) {
  auto config = default_config({"/bin/sh", "-c", kProbe});
  for (const char* set : {"bounding", "effective", "permitted"})
    config["process"]["capabilities"][set].push_back("CAP_MKNOD");
  if (!devices.is_null()) config["linux"]["resources"]["devices"] = devices;
  auto id = unique_id(tag);
  return run_vcrun({"run", "--rm", id, "--bundle", make_bundle(id, config)});
}

json rule(bool allow, const std::string& type, int major, int minor, const std::string& access) {
  return {{"allow", allow}, {"type", type}, {"major", major}, {"minor", minor}, {"access", access}};
}

bool host_opens_kmsg() {
  int fd = ::open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

}  // namespace

TEST_CASE("the default device policy refuses a device outside its list", "[integration]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  REQUIRE(host_opens_kmsg());  // the control: outside a container the same open works
  auto r = run_probe("devdefault", json());
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out == "kmsg=refused\nnull=open\n");
  // runc's usual deny-all first rule is the same policy.
  auto d = run_probe("devdenyall", json::array({{{"allow", false}, {"access", "rwm"}}}));
  INFO(d.out << d.err);
  CHECK(d.out == "kmsg=refused\nnull=open\n");
}

TEST_CASE("a container's own device rules replace the default policy", "[integration]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  // Were the parent's default program applied as well (BPF_F_ALLOW_MULTI), this open
  // would still be refused.
  auto allow = run_probe("devallow", json::array({rule(true, "c", 1, 11, "w")}));
  INFO(allow.out << allow.err);
  CHECK(allow.out == "kmsg=open\nnull=open\n");
}

TEST_CASE("property: the kernel verifier accepts the program of every random rule list", "[integration]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  // Seeded and reproducible: a failure names its seed (tests/support/device_rules.hpp).
  int loaded = 0;
  for (uint32_t seed = 1; seed <= 1000; ++seed) {
    auto rules = random_device_rules(seed);
    if (seed % 2 == 0) {
      vcrun::ContainerSpec spec;
      spec.linux.resources.emplace();
      spec.linux.resources->devices = rules;
      rules = vcrun::cgroup::effective_device_rules(spec);
    }
    INFO("seed " << seed);
    try {
      auto fd = vcrun::cgroup::load_device_program(vcrun::cgroup::generate_device_program(rules), "seed");
      loaded += fd.get() >= 0;
    } catch (const vcrun::Error& e) {
      FAIL(e.what());
    }
  }
  CHECK(loaded == 1000);
  for (auto list : {podman_device_rules(), std::vector<vcrun::DeviceRule>{{false, 'a', -1, -1, "rwm"}},
                    std::vector<vcrun::DeviceRule>{{true, 'a', -1, -1, "rwm"}}}) {
    vcrun::ContainerSpec spec;
    spec.linux.resources.emplace();
    spec.linux.resources->devices = list;
    CHECK_NOTHROW(vcrun::cgroup::load_device_program(
        vcrun::cgroup::generate_device_program(vcrun::cgroup::effective_device_rules(spec)), "list"));
  }
}

TEST_CASE("podman's device list with an extra rule is enforced", "[integration]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  // Before the generator stopped at the deny-all rule, the verifier refused this list.
  json devices = json::array();
  for (const auto& r : podman_device_rules()) {
    json j = {{"allow", r.allow}, {"access", r.access}};
    if (r.type != 'a') j["type"] = std::string(1, r.type);
    if (r.major >= 0) j["major"] = r.major;
    if (r.minor >= 0) j["minor"] = r.minor;
    devices.push_back(j);
  }
  auto plain = run_probe("devpodman", devices);
  INFO(plain.out << plain.err);
  CHECK(plain.status == 0);
  CHECK(plain.out == "kmsg=refused\nnull=open\n");
  devices.push_back(rule(true, "c", 1, 11, "rwm"));  // podman --device-cgroup-rule 'c 1:11 rwm'
  auto extra = run_probe("devpodmanx", devices);
  INFO(extra.out << extra.err);
  CHECK(extra.status == 0);
  CHECK(extra.out == "kmsg=open\nnull=open\n");
}

TEST_CASE("linux.devices fileMode with the type's file type bits makes the node (podman --privileged)",
          "[integration]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  // 8630 = 020666: S_IFCHR | 0666, as podman passes a host device's st_mode. (Block nodes
  // are refused by this host's own device policy; the unit tests cover "b".)
  auto config = default_config({"/bin/sh", "-c",
                                "stat -c '%F|%a|%t:%T' /dev/null-copy && echo x >/dev/null-copy && echo wrote"});
  config["linux"]["devices"] = json::array(
      {{{"path", "/dev/null-copy"}, {"type", "c"}, {"major", 1}, {"minor", 3}, {"fileMode", 8630}}});
  auto id = unique_id("devmode");
  auto r = run_vcrun({"run", "--rm", id, "--bundle", make_bundle(id, config)});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "character special file|666|1:3\nwrote\n");
  // Type bits that contradict the type: refused, naming the field.
  config["linux"]["devices"][0]["fileMode"] = 25014;  // 060666: a block device's
  auto bad = run_vcrun({"run", "--rm", id, "--bundle", make_bundle(id + "b", config)});
  CHECK(bad.status != 0);
  CHECK(bad.err.find("linux.devices[0].fileMode: file type bits 060000 contradict type \"c\" (020000)") !=
        std::string::npos);
}
