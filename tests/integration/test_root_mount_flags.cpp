// Integration: a bundle on a nosuid,nodev,noexec host mount (podman keeps its storage on
// /var or /tmp, often such a mount). The container's root takes its flags from the spec,
// not from that mount, as with crun; in a user namespace the kernel locks them.
#include <catch2/catch.hpp>

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <filesystem>
#include <fstream>

#include "support/harness.hpp"

using namespace vcrun::test;
namespace fs = std::filesystem;

namespace {

// A tmpfs mounted with `flags` at work_dir()/ID-mnt holding a bundle: config.json and a
// copy of the busybox rootfs with a /nul node (1:3, allowed by the default device policy).
struct BundleOnMount {
  std::string mnt;
  std::string bundle;
  BundleOnMount(const std::string& id, unsigned long flags, const nlohmann::json& config) {
    mnt = work_dir() + "/" + id + "-mnt";
    fs::create_directories(mnt);
    REQUIRE(::mount("tmpfs", mnt.c_str(), "tmpfs", flags, "mode=0755") == 0);
    bundle = mnt + "/bundle";
    fs::create_directories(bundle);
    fs::copy(busybox_rootfs(), bundle + "/rootfs",
             fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    REQUIRE(::mknod((bundle + "/rootfs/nul").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0);
    std::ofstream(bundle + "/config.json") << config.dump();
  }
  ~BundleOnMount() { ::umount2(mnt.c_str(), MNT_DETACH); }
};

const char* kProbe =
    "(exec 3</nul) 2>/dev/null && echo dev=open || echo dev=refused; "
    "awk '$5 == \"/\" { print $6 }' /proc/self/mountinfo";

}  // namespace

TEST_CASE("a bundle on a nosuid,nodev,noexec mount runs with the spec's root flags",
          "[integration]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  auto id = unique_id("rootflags");
  BundleOnMount b(id, MS_NOSUID | MS_NODEV | MS_NOEXEC, default_config({"/bin/sh", "-c", kProbe}));
  // The control: on the host mount itself the node cannot be opened.
  REQUIRE(run({"/bin/sh", "-c", "exec 3<" + b.bundle + "/rootfs/nul"}).status != 0);
  auto r = run_vcrun({"run", "--rm", id, "--bundle", b.bundle});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);  // /bin/sh ran: the root is not noexec
  CHECK(r.out == "dev=open\nro,relatime\n");  // ro: the runc spec's root.readonly
}

TEST_CASE("in a user namespace the host mount's locked nosuid,nodev stay on the root",
          "[integration]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  auto id = unique_id("rootflagsus");
  auto config = default_config({"/bin/sh", "-c", kProbe});
  config["linux"]["namespaces"].push_back({{"type", "user"}});
  config["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 0}, {"size", 65536}}};
  config["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 0}, {"size", 65536}}};
  BundleOnMount b(id, MS_NOSUID | MS_NODEV, config);
  auto r = run_vcrun({"run", "--rm", id, "--bundle", b.bundle});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out == "dev=refused\nro,nosuid,nodev,relatime\n");
}
