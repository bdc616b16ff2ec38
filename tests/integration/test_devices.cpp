// Integration: the device policy (cgroup BPF) as a container's process meets it. The
// default policy comes from the program vcrun keeps on its parent cgroup; a container with
// rules of its own gets its own program, which replaces that one.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include "support/harness.hpp"

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
