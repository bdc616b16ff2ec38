// Attack: a spec that joins the caller's own namespaces, which the init then changes (issue
// 22 item 2): the caller's root pivoted, its hostname, sysctls or loopback changed. Each runs
// vcrun from a shell in scratch namespaces the test makes with unshare. Run as root.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "security/init_isolation.hpp"
#include "support/harness.hpp"

namespace fs = std::filesystem;
using namespace vcrun::test;
using namespace vcrun::test::init_isolation;

namespace {

// Index of the linux.namespaces entry of `type`, appended when missing.
size_t ns_entry(nlohmann::json& config, const std::string& type) {
  auto& nss = config["linux"]["namespaces"];
  for (size_t i = 0; i < nss.size(); ++i)
    if (nss[i]["type"] == type) return i;
  nss.push_back({{"type", type}});
  return nss.size() - 1;
}

// `script` run by /bin/sh in namespaces of its own that `unshare` makes (never the host's);
// $VCRUN in it is the vcrun command line with this test's --root.
Result in_scratch_namespaces(const std::vector<std::string>& unshare_flags, const std::string& script) {
  std::vector<std::string> argv = {"/usr/bin/unshare"};
  argv.insert(argv.end(), unshare_flags.begin(), unshare_flags.end());
  std::string vcrun = vcrun_binary() + " --root " + runtime_root();
  argv.insert(argv.end(), {"/bin/sh", "-c", "VCRUN='" + vcrun + "'; " + script});
  return run(argv);
}

}  // namespace

// Item 2. A spec naming the caller's own mount namespace (/proc/self/ns/mnt, or a process
// sharing it) made the init pivot the caller's root: afterwards the caller's "/" was the
// bundle's rootfs. The caller here is a shell in a scratch mount namespace of the test's.
TEST_CASE("a spec cannot join vcrun's own mount namespace and pivot the caller's root", "[security]") {
  for (std::string path : {"/proc/self/ns/mnt", "/proc/SHELLPID/ns/mnt"}) {
    INFO(path);
    auto id = unique_id("ownmnt");
    auto config = default_config({"true"});
    size_t i = ns_entry(config, "mount");
    config["linux"]["namespaces"][i]["path"] = path;
    auto bundle = make_bundle(id, config);
    const std::string marker = "/pivot-marker-" + id;
    { std::ofstream(bundle + "/rootfs" + marker) << "x"; }
    REQUIRE(!fs::exists(marker));
    // Shell builtins only after vcrun: a pivoted root no longer has the host's binaries.
    auto r = in_scratch_namespaces(
        {"-m", "--propagation", "private"},
        "sed -i \"s|SHELLPID|$$|\" " + bundle + "/config.json; before=$(echo /*); "
        "$VCRUN run --rm " + id + " --bundle " + bundle + "; echo rc=$?; "
        "[ -e " + marker + " ] && echo PIVOTED; "
        "[ \"$before\" = \"$(echo /*)\" ] && echo ROOT-UNCHANGED");
    INFO(r.out << r.err);
    run_vcrun({"delete", "--force", id});  // the base binary loses its state dir when it pivots
    CHECK(!contains(r.out, "PIVOTED"));
    CHECK(contains(r.out, "ROOT-UNCHANGED"));
    CHECK(!contains(r.out, "rc=0"));
    auto line = one_error_line(r);
    CHECK(contains(line, "linux.namespaces[" + std::to_string(i) + "].path"));
    CHECK(contains(line, "vcrun's own mount namespace"));
    CHECK(!fs::exists(runtime_root() + "/" + id));
  }
}

// Item 2, uts: the caller's hostname must not change through a joined uts namespace that is
// its own. Control: with a uts namespace of its own, the container gets the hostname.
TEST_CASE("a spec cannot set the hostname of vcrun's own uts namespace", "[security]") {
  auto id = unique_id("ownuts");
  auto config = default_config({"cat", "/proc/sys/kernel/hostname"});
  config["hostname"] = "pwned-" + std::to_string(::getpid());
  auto bundle = make_bundle(id, config);
  auto control = run_vcrun({"run", "--rm", id, "--bundle", bundle});
  INFO(control.err);
  REQUIRE(control.status == 0);
  CHECK(contains(control.out, "pwned-"));

  size_t i = ns_entry(config, "uts");
  config["linux"]["namespaces"][i]["path"] = "/proc/self/ns/uts";
  write_config(bundle, config);
  auto r = in_scratch_namespaces(
      {"-u"}, "echo scratch-uts > /proc/sys/kernel/hostname; "
              "$VCRUN run --rm " + id + " --bundle " + bundle + " >/dev/null; echo rc=$?; "
              "echo after=$(cat /proc/sys/kernel/hostname)");
  INFO(r.out << r.err);
  run_vcrun({"delete", "--force", id});
  CHECK(contains(r.out, "after=scratch-uts"));
  CHECK(!contains(r.out, "rc=0"));
  auto line = one_error_line(r);
  CHECK(contains(line, "linux.namespaces[" + std::to_string(i) + "].path"));
  CHECK(contains(line, "vcrun's own uts namespace"));
}

// Item 2, network: no net.* sysctl, and no loopback bring-up, in a joined network
// namespace that is the caller's (runc's isHostNetNS rule, and loopback only for a new
// one). The caller is a shell in a scratch network namespace of the test's (lo down).
TEST_CASE("a spec cannot change vcrun's own network namespace", "[security]") {
  const std::string sysctl_file = "/proc/sys/net/ipv4/ip_unprivileged_port_start";
  auto id = unique_id("ownnet");
  auto config = default_config({"true"});
  size_t i = ns_entry(config, "network");
  config["linux"]["namespaces"][i]["path"] = "/proc/self/ns/net";
  config["linux"]["sysctl"] = {{"net.ipv4.ip_unprivileged_port_start", "777"}};
  auto bundle = make_bundle(id, config);
  auto script = "cat " + sysctl_file + "; $VCRUN run --rm " + id + " --bundle " + bundle +
                "; echo rc=$?; echo after=$(cat " + sysctl_file + "); ip -o link show lo";
  auto r = in_scratch_namespaces({"-n"}, script);
  INFO(r.out << r.err);
  run_vcrun({"delete", "--force", id});
  CHECK(!contains(r.out, "after=777"));
  CHECK(!contains(r.out, "rc=0"));
  auto line = one_error_line(r);
  CHECK(contains(line, "linux.namespaces[" + std::to_string(i) + "].path"));
  CHECK(contains(line, "vcrun's own network namespace"));
  CHECK(contains(line, "net.ipv4.ip_unprivileged_port_start"));

  // Without sysctls the join itself is fine, but lo is the caller's to bring up.
  config["linux"].erase("sysctl");
  write_config(bundle, config);
  r = in_scratch_namespaces({"-n"}, "$VCRUN run --rm " + id + " --bundle " + bundle +
                                        "; echo rc=$?; ip -o link show lo");
  INFO(r.out << r.err);
  run_vcrun({"delete", "--force", id});
  CHECK(contains(r.out, "rc=0"));
  CHECK(contains(r.out, "lo:"));
  CHECK(!contains(r.out, "LOOPBACK,UP"));
}

// Item 2, ipc: no kernel.shm*/msg*/sem or fs.mqueue.* sysctl in a joined ipc namespace that
// is the caller's. The caller is a shell in a scratch ipc namespace of the test's.
TEST_CASE("a spec cannot write the sysctls of vcrun's own ipc namespace", "[security]") {
  auto id = unique_id("ownipc");
  auto config = default_config({"true"});
  size_t i = ns_entry(config, "ipc");
  config["linux"]["namespaces"][i]["path"] = "/proc/self/ns/ipc";
  config["linux"]["sysctl"] = {{"kernel.shmmni", "1234"}};
  auto bundle = make_bundle(id, config);
  auto r = in_scratch_namespaces({"-i"}, "$VCRUN run --rm " + id + " --bundle " + bundle +
                                             "; echo rc=$?; echo after=$(cat /proc/sys/kernel/shmmni)");
  INFO(r.out << r.err);
  run_vcrun({"delete", "--force", id});
  CHECK(contains(r.out, "after="));
  CHECK(!contains(r.out, "after=1234"));
  CHECK(!contains(r.out, "rc=0"));
  auto line = one_error_line(r);
  CHECK(contains(line, "linux.namespaces[" + std::to_string(i) + "].path"));
  CHECK(contains(line, "vcrun's own ipc namespace"));
  CHECK(contains(line, "kernel.shmmni"));
}
