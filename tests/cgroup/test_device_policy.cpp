// [vm] the device policy in the kernel: every generated program loads, attached programs
// decide mknod/open as the rules say (checked against device_allowed for seeded random
// lists), and podman's list through the vcrun binary.
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstring>

#include "cgroup/device_bpf.hpp"
#include "cgroup_test_util.hpp"
#include "support/device_rules.hpp"
#include "support/harness.hpp"
#include "vcrun/error.hpp"

using namespace vcrun;
using namespace vcrun::cgtest;
using nlohmann::json;
namespace t = vcrun::test;

namespace {

std::vector<DeviceRule> with_defaults(const std::vector<DeviceRule>& rules) {
  ContainerSpec spec;
  spec.linux.resources.emplace();
  spec.linux.resources->devices = rules;
  return cgroup::effective_device_rules(spec);
}

struct Probe {
  char type;
  int64_t major, minor;
  std::string node;  // made outside the cgroup, in a directory on devtmpfs
};

const char* const kAccesses[] = {"m", "r", "w", "rw"};

// For each probe and access in kAccesses: '1' when the kernel refused it with EPERM, else
// '0'. Read and write go through faccessat(2): it runs the same inode_permission() device
// check as open(2) but never reaches a driver (opening unregistered numbers would make the
// kernel run modprobe for each, minutes under emulation). The CLI case below opens for real.
std::string attempt_all(const std::vector<Probe>& probes, const std::string& dir) {
  std::string out;
  for (const auto& p : probes) {
    std::string made = dir + "/mk";
    ::unlink(made.c_str());
    mode_t kind = p.type == 'b' ? S_IFBLK : S_IFCHR;
    bool m = ::mknod(made.c_str(), kind | 0600, makedev(p.major, p.minor)) != 0 && errno == EPERM;
    ::unlink(made.c_str());
    out += m ? '1' : '0';
    for (int mode : {R_OK, W_OK, R_OK | W_OK})
      out += ::faccessat(AT_FDCWD, p.node.c_str(), mode, 0) != 0 && errno == EPERM ? '1' : '0';
  }
  return out;
}

// attempt_all from a child placed in `cgroup` ("" = stay in the test's own cgroup).
std::string attempt_in(const std::string& cgroup, const std::vector<Probe>& probes, const std::string& dir) {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  auto body = [&] {
    std::string r = attempt_all(probes, dir);
    return ::write(fds[1], r.data(), r.size()) == static_cast<ssize_t>(r.size()) ? 0 : 1;
  };
  pid_t child = cgroup.empty() ? ::fork() : spawn_in(cgroup, body);
  if (child == 0) ::_exit(body());
  ::close(fds[1]);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = wait_for(child, 60);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  return out;
}

bool root_v2() { return ::geteuid() == 0 && have_controller("pids"); }

}  // namespace

TEST_CASE("property: this kernel's verifier accepts the program of every random rule list", "[vm]") {
  if (!root_v2()) {
    WARN("SKIP: needs root on a pure cgroup v2 host");
    return;
  }
  for (uint32_t seed = 1; seed <= 400; ++seed) {
    auto rules = seed % 2 ? t::random_device_rules(seed) : with_defaults(t::random_device_rules(seed));
    INFO("seed " << seed);
    try {
      auto fd = cgroup::load_device_program(cgroup::generate_device_program(rules), "seed");
      CHECK(fd.get() >= 0);
    } catch (const Error& e) {
      FAIL(e.what());
    }
  }
}

TEST_CASE("property: attached programs refuse exactly the accesses the rules deny", "[vm]") {
  if (!root_v2()) {
    WARN("SKIP: needs root on a pure cgroup v2 host");
    return;
  }
  std::string dir = "/dev/vcrun-devprop-" + std::to_string(::getpid());
  make_dirs(dir, 0700);
  std::vector<Probe> probes;
  for (char type : {'c', 'b'})
    for (int64_t major : t::rule_majors())
      for (int64_t minor : t::rule_minors()) {
        if (major < 0 || minor < 0) continue;
        std::string node = dir + "/" + type + std::to_string(major) + "-" + std::to_string(minor);
        ::unlink(node.c_str());
        REQUIRE(::mknod(node.c_str(), (type == 'b' ? S_IFBLK : S_IFCHR) | 0600, makedev(major, minor)) == 0);
        probes.push_back(Probe{type, major, minor, node});
      }
  // The control: outside any device program nothing is refused with EPERM, so an EPERM
  // below comes from the program (an access that fails anyway with EPERM is not judged).
  std::string baseline = attempt_in("", probes, dir);
  REQUIRE(baseline.size() == probes.size() * 4);
  std::string mp = cgroup::cgroup2_mount().mount_point;
  std::vector<std::pair<std::string, std::vector<DeviceRule>>> lists = {
      {"podman", with_defaults(t::podman_device_rules())}};
  for (uint32_t seed = 1; seed <= 24; ++seed)
    lists.push_back({"seed " + std::to_string(seed),
                     seed % 2 ? t::random_device_rules(seed) : with_defaults(t::random_device_rules(seed))});
  int judged = 0, refused = 0;
  for (const auto& [name, rules] : lists) {
    INFO(name);
    std::string cg = mp + "/vcrun-devprop-" + std::to_string(::getpid());
    REQUIRE(::mkdir(cg.c_str(), 0755) == 0);
    {
      UniqueFd fd(::open(cg.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      cgroup::attach_device_program(fd.get(), cgroup::generate_device_program(rules), cg);
    }
    std::string got = attempt_in(cg, probes, dir);
    ::rmdir(cg.c_str());
    REQUIRE(got.size() == baseline.size());
    for (size_t i = 0; i < got.size(); ++i) {
      if (baseline[i] == '1') continue;
      const Probe& p = probes[i / 4];
      const char* access = kAccesses[i % 4];
      bool denied = !cgroup::device_allowed(rules, p.type, p.major, p.minor, access);
      INFO(p.type << " " << p.major << ":" << p.minor << " " << access);
      CHECK((got[i] == '1') == denied);
      ++judged;
      refused += got[i] == '1';
    }
  }
  for (const auto& p : probes) ::unlink(p.node.c_str());
  ::rmdir(dir.c_str());
  CHECK(judged > 1000);
  CHECK(refused > 100);  // the programs do refuse: not a vacuous agreement
  CHECK(refused < judged - 100);
}

TEST_CASE("vcrun: podman's device list and an extra rule: allowed opens, the rest EPERM", "[vm]") {
  if (!root_v2()) {
    WARN("SKIP: needs root on a pure cgroup v2 host");
    return;
  }
  json devices = json::array();
  for (const auto& r : t::podman_device_rules()) {
    json j = {{"allow", r.allow}, {"access", r.access}};
    if (r.type != 'a') j["type"] = std::string(1, r.type);
    if (r.major >= 0) j["major"] = r.major;
    if (r.minor >= 0) j["minor"] = r.minor;
    devices.push_back(j);
  }
  // As podman --device-cgroup-rule 'c 1:11 rwm' adds it: /dev/kmsg (writable without caps).
  json extra = devices;
  extra.push_back({{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 11}, {"access", "rwm"}});
  const std::string script =
      "mknod /dev/kmsg-probe c 1 11 && mknod /dev/loop-probe b 7 0 || exit 3; "
      "(exec 3>/dev/kmsg-probe) 2>&1 && echo kmsg=open; "
      "(exec 3</dev/loop-probe) 2>&1 && echo loop=open; "
      "(exec 3>/dev/null) && echo null=open";
  for (bool with_extra : {false, true}) {
    auto config = t::default_config({"/bin/sh", "-c", script});
    for (const char* set : {"bounding", "effective", "permitted"})
      config["process"]["capabilities"][set].push_back("CAP_MKNOD");
    config["linux"]["resources"]["devices"] = with_extra ? extra : devices;
    auto id = t::unique_id(with_extra ? "devpodx" : "devpod");
    auto r = t::run_vcrun({"run", "--rm", id, "--bundle", t::make_bundle(id, config)});
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("null=open") != std::string::npos);
    CHECK(r.out.find("loop=open") == std::string::npos);
    CHECK(r.out.find("loop-probe: Operation not permitted") != std::string::npos);
    if (with_extra) {
      CHECK(r.out.find("kmsg=open") != std::string::npos);
    } else {
      CHECK(r.out.find("kmsg=open") == std::string::npos);
      CHECK(r.out.find("kmsg-probe: Operation not permitted") != std::string::npos);
    }
  }
}
