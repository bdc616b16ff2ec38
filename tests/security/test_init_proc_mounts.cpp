// Attack: an image whose /proc or /sys is a symlink (issue 22 item 4, the CVE-2019-19921
// class): procfs or sysfs mounted at the link's target, out of maskedPaths' reach. Run as root.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "security/init_isolation.hpp"
#include "support/harness.hpp"

namespace fs = std::filesystem;
using namespace vcrun::test;
using namespace vcrun::test::init_isolation;

// Item 4. An image whose /proc (or /sys) is a symlink had procfs mounted at the link's
// target, where no maskedPaths entry (/proc/kcore...) covers it (CVE-2019-19921 class).
TEST_CASE("procfs and sysfs are never mounted through a symlink in the image", "[security]") {
  for (std::string dir : {"proc", "sys"}) {
    INFO(dir);
    auto id = unique_id("link" + dir);
    const std::string target = "/tmp/fake" + dir;
    // Whether a procfs (self/) or a sysfs (kernel/) is at the link's target.
    const std::string listing = "ls " + target + " 2>/dev/null";
    auto config = default_config({"sh", "-c", listing + " | grep -qx self && echo PROC-AT-TARGET; " +
                                                  listing + " | grep -qx kernel && echo SYS-AT-TARGET; true"});
    auto bundle = make_bundle(id, config);
    // Control: with the real directory the container starts and nothing is at the target.
    auto control = run_vcrun({"run", "--rm", id, "--bundle", bundle});
    INFO(control.out << control.err);
    REQUIRE(control.status == 0);
    CHECK(!contains(control.out, "-AT-TARGET"));

    fs::remove(bundle + "/rootfs/" + dir);
    fs::create_symlink(target, bundle + "/rootfs/" + dir);
    auto r = run_vcrun({"run", "--rm", id, "--bundle", bundle});
    INFO(r.out << r.err);
    run_vcrun({"delete", "--force", id});
    CHECK(r.status != 0);
    CHECK(!contains(r.out, "-AT-TARGET"));
    auto line = one_error_line(r);
    CHECK(contains(line, ".destination \"/" + dir + "\": must be an ordinary directory, not a symlink"));
    CHECK(contains(line, "mounts["));
    // Nothing made through the link, nothing left of the container.
    CHECK(!fs::exists(bundle + "/rootfs" + target));
    CHECK(!fs::exists(runtime_root() + "/" + id));
  }
}
