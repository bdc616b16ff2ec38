// Unit tests: the CLI's field -> flag table (cmd/vcrun/flag_fields): the library's errors
// name fields, the user reads the flags he typed, a bundle's fields keep their paths.

#include <catch2/catch.hpp>

#include <functional>
#include <set>
#include <string>

#include "cmd/vcrun/flag_fields.hpp"
#include "cgroup/exec_cgroup.hpp"
#include "runtime/process/preserved_fds.hpp"
#include "vcrun/error.hpp"
#include "vcrun/quick.hpp"

using namespace vcrun;

namespace {

// The message the CLI prints for `e` when the command line gave `flags`.
std::string shown(const SpecError& e, std::set<std::string> flags) {
  return cli::with_flag_names(e, [&](std::string_view f) { return flags.count(std::string(f)) > 0; }).what();
}

// apply_resource_flags's error for `set`, as the library throws it and as the CLI shows it
// when `flag` was given.
std::pair<std::string, std::string> resource_error(const std::function<void(ResourceFlags&)>& set,
                                                   const std::string& flag) {
  ResourceFlags f;
  set(f);
  ContainerSpec s;
  try {
    apply_resource_flags(s, f);
  } catch (const SpecError& e) {
    return {e.what(), shown(e, {flag})};
  }
  return {"<accepted>", "<accepted>"};
}

}  // namespace

TEST_CASE("SpecError keeps its field, value and reason apart", "[unit]") {
  SpecError plain("linux.resources.pids.limit", "must be at least 1 (or max)");
  CHECK(std::string(plain.what()) == "linux.resources.pids.limit: must be at least 1 (or max)");
  CHECK(plain.field() == "linux.resources.pids.limit");
  CHECK(plain.value().empty());
  CHECK(plain.reason() == "must be at least 1 (or max)");
  CHECK(plain.code() == EINVAL);
  SpecError valued("QuickOptions.volumes", "/a:/b:x", "mode must be ro or rw", EINVAL);
  CHECK(std::string(valued.what()) == "QuickOptions.volumes /a:/b:x: mode must be ro or rw");
  SpecError renamed = SpecError("CreateOptions.console_socket", "connect /s: refused", ECONNREFUSED).renamed("--x");
  CHECK(std::string(renamed.what()) == "--x: connect /s: refused");
  CHECK(renamed.code() == ECONNREFUSED);
  CHECK(renamed.field() == "--x");
}

TEST_CASE("resource errors name the flag's member or the field in the library, the given flag in the CLI", "[unit]") {
  struct Case {
    std::function<void(ResourceFlags&)> set;
    const char* flag;
    const char* field;
  };
  const Case cases[] = {
      {[](auto& f) { f.cpu_reserve = "1.5"; }, "--cpu-reserve", "ResourceFlags.cpu_reserve"},
      {[](auto& f) { f.cpu_fair_share = "-1"; }, "--cpu-fair-share", "ResourceFlags.cpu_fair_share"},
      {[](auto& f) { f.cpus = "0"; }, "--cpus", "ResourceFlags.cpus"},
      {[](auto& f) { f.cpu_quota = "500"; }, "--cpu-quota", "linux.resources.cpu.quota"},
      {[](auto& f) { f.cpu_period = "100"; }, "--cpu-period", "linux.resources.cpu.period"},
      {[](auto& f) { f.cpu_shares = "1"; }, "--cpu-share", "linux.resources.cpu.shares"},
      {[](auto& f) { f.cpuset = "3-1"; }, "--cpuset", "ResourceFlags.cpuset"},
      {[](auto& f) { f.cpuset_cpus = "1-"; }, "--cpuset-cpus", "ResourceFlags.cpuset_cpus"},
      {[](auto& f) { f.cpuset_mems = "0,,1"; }, "--cpuset-mems", "ResourceFlags.cpuset_mems"},
      {[](auto& f) { f.memory = "0"; }, "--memory", "ResourceFlags.memory"},
      {[](auto& f) { f.memory = "64M", f.memory_reserve = "128M"; }, "--memory-reserve",
       "linux.resources.memory.reservation"},
      {[](auto& f) { f.memory_reservation = "1Q"; }, "--memory-reservation", "ResourceFlags.memory_reservation"},
      {[](auto& f) { f.memory = "64M", f.memory_swap = "32M"; }, "--memory-swap", "linux.resources.memory.swap"},
      {[](auto& f) { f.pids = "ten"; }, "--pids", "ResourceFlags.pids"},
      {[](auto& f) { f.pids_limit = "-5"; }, "--pids-limit", "ResourceFlags.pids_limit"},
      {[](auto& f) { f.io_weight = "5"; }, "--io-weight", "ResourceFlags.io_weight"},
      {[](auto& f) { f.blkio_weight = "1001"; }, "--blkio-weight", "ResourceFlags.blkio_weight"},
      {[](auto& f) { f.bind_allow = "web"; }, "--bind-allow", "ResourceFlags.bind_allow"},
      {[](auto& f) { f.net_rate = "10"; }, "--net-rate", "ResourceFlags.net_rate"},
      {[](auto& f) { f.net_ceil = "fast"; }, "--net-ceil", "ResourceFlags.net_ceil"},
      {[](auto& f) { f.net_share = "x"; }, "--net-share", "ResourceFlags.net_share"},
  };
  for (const auto& c : cases) {
    INFO(c.flag);
    auto [thrown, printed] = resource_error(c.set, c.flag);
    REQUIRE(thrown.rfind(std::string(c.field) + ": ", 0) == 0);
    // The same reason, only the name replaced.
    CHECK(printed == c.flag + thrown.substr(std::string(c.field).size()));
  }
  CHECK(resource_error([](auto& f) { f.pids = "0"; }, "--pids").second == "--pids: must be at least 1 (or max)");
  CHECK(resource_error([](auto& f) { f.bind_allow = "web"; }, "--bind-allow").second ==
        "--bind-allow: expected an IPv4 or IPv6 address, got \"web\"");
  CHECK(resource_error([](auto& f) { f.memory = "0"; }, "--memory").second ==
        "--memory: must be greater than 0 (or max)");
}

TEST_CASE("a field of a bundle's config.json keeps its path", "[unit]") {
  SpecError from_file("linux.resources.pids.limit", "must be at least 1 (or max)");
  CHECK(shown(from_file, {}) == "linux.resources.pids.limit: must be at least 1 (or max)");
  // update --resources FILE --memory 1G: the file's pids error is not the flag's.
  CHECK(shown(from_file, {"--memory"}) == "linux.resources.pids.limit: must be at least 1 (or max)");
  SpecError indexed("vcrun.network.bindAllow[1]", "expected an IPv4 or IPv6 address, got \"web\"");
  CHECK(shown(indexed, {}) == "vcrun.network.bindAllow[1]: expected an IPv4 or IPv6 address, got \"web\"");
  // A longer field with the same beginning is another field.
  CHECK(shown(SpecError("vcrun.network.shareX", "r"), {"--net-share"}) == "vcrun.network.shareX: r");
}

TEST_CASE("the flag the user gave names a field two flags set", "[unit]") {
  SpecError quota("linux.resources.cpu.quota", "must be at least 1000");
  CHECK(shown(quota, {"--cpus"}) == "--cpus: must be at least 1000");
  CHECK(shown(quota, {"--cpu-quota"}) == "--cpu-quota: must be at least 1000");
  SpecError pids("linux.resources.pids.limit", "must be at least 1 (or max)");
  CHECK(shown(pids, {"--pids-limit"}) == "--pids-limit: must be at least 1 (or max)");
  CHECK(shown(pids, {"--pids"}) == "--pids: must be at least 1 (or max)");
}

TEST_CASE("list flags drop the entry's index, per-entry flags keep it", "[unit]") {
  SpecError publish("vcrun.network.publish[0]", "must be [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|/udp], got \"8080\"");
  CHECK(shown(publish, {"--publish"}) == "--publish: must be [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|/udp], got \"8080\"");
  SpecError cap("ExecOptions.caps[1]", "unknown capability \"CAP_BOGUS\"");
  CHECK(shown(cap, {"--cap"}) == "--cap[1]: unknown capability \"CAP_BOGUS\"");
}

TEST_CASE("options that are no spec field are always the flag's", "[unit]") {
  // The default --root (not typed) is still the flag's value.
  CHECK(shown(SpecError("Runtime.root", "must be an absolute path"), {}) == "--root: must be an absolute path");
  CHECK(shown(SpecError("QuickOptions.volumes", "/a:/b:x", "mode must be ro or rw", EINVAL), {"-v"}) ==
        "-v /a:/b:x: mode must be ro or rw");
  CHECK(shown(SpecError("ExecOptions.user", "must be UID or UID:GID (numbers), got \"root\""), {"--user"}) ==
        "--user: must be UID or UID:GID (numbers), got \"root\"");
  // Fields the table does not hold are left alone.
  CHECK(shown(SpecError("process.cwd", "must be an absolute path"), {"--cwd"}) == "process.cwd: must be an absolute path");
}

TEST_CASE("exec's option errors name the option, the CLI shows the flag", "[unit]") {
  try {
    exec_cgroup_path({"a", "b"});
    FAIL("accepted");
  } catch (const SpecError& e) {
    CHECK(e.field() == "ExecOptions.cgroup");
    CHECK(shown(e, {"--cgroup"}) == "--cgroup: \"a\" needs a CONTROLLER: prefix when --cgroup is repeated");
  }
  try {
    check_preserved_fds(0xffffffffu);
    FAIL("accepted");
  } catch (const SpecError& e) {
    CHECK(e.field() == "CreateOptions.preserve_fds");
    CHECK(shown(e, {"--preserve-fds"}) == "--preserve-fds: 4294967295 is out of range");
  }
}

TEST_CASE("a reason naming other fields names their flags when the command line set them", "[unit]") {
  SpecError below("vcrun.network.ceil", "10mbit is below vcrun.network.rate 20mbit");
  CHECK(shown(below, {"--net-ceil", "--net-rate"}) == "--net-ceil: 10mbit is below --net-rate 20mbit");
  // Quick mode (no bundle): every field is a flag's, given or not (`--ip` without `--net`).
  SpecError needs("vcrun.network.ip", "needs vcrun.network.mode bridge");
  CHECK(shown(needs, {"--ip"}) == "--ip: needs --net bridge");
  // With a bundle, a field the flags did not set is the bundle's and keeps its path.
  CHECK(shown(below, {"--net-ceil", "--bundle"}) == "--net-ceil: 10mbit is below vcrun.network.rate 20mbit");
  // An error about a bundle's own field is left whole.
  CHECK(shown(below, {"--bundle"}) == "vcrun.network.ceil: 10mbit is below vcrun.network.rate 20mbit");
  // Whole names only.
  CHECK(shown(SpecError("vcrun.network.ceil", "see vcrun.network.rateX"), {"--net-ceil"}) ==
        "--net-ceil: see vcrun.network.rateX");
}

TEST_CASE("options a message names are the CLI's flags, in any error", "[unit]") {
  CHECK(cli::options_as_flags("container c is paused: resume it or pass ExecOptions.ignore_paused") ==
        "container c is paused: resume it or pass --ignore-paused");
  CHECK(cli::options_as_flags("container c is running: stop it first or use Runtime.remove.force") ==
        "container c is running: stop it first or use --force");
  CHECK(cli::options_as_flags("x (CreateOptions.new_keyring=false keeps the caller's)") ==
        "x (--no-new-keyring keeps the caller's)");
  // Whole names only, and spec paths are not options.
  CHECK(cli::options_as_flags("ExecOptions.ttyX and linux.resources.pids.limit") ==
        "ExecOptions.ttyX and linux.resources.pids.limit");
  CHECK(cli::options_as_flags("/srv/MyRuntime.root is gone") == "/srv/MyRuntime.root is gone");
  SpecError tty("ExecOptions.tty", "with ExecOptions.detach needs CreateOptions.console_socket (or nothing would hold the terminal)");
  CHECK(shown(tty, {"--tty", "--detach"}) ==
        "--tty: with --detach needs --console-socket (or nothing would hold the terminal)");
  // A spec field's error keeps its path; the options in its reason still read as flags.
  SpecError term("process.terminal", "create needs CreateOptions.console_socket for a terminal");
  CHECK(shown(term, {}) == "process.terminal: create needs --console-socket for a terminal");
}

TEST_CASE("of two flags setting one field, a malformed value names the one that holds it", "[unit]") {
  ResourceFlags f;
  f.cpus = std::string("1");
  f.cpu_quota = std::string("x");
  ContainerSpec s;
  std::string shown_text;
  try {
    apply_resource_flags(s, f);
  } catch (const SpecError& e) {
    shown_text = shown(e, {"--cpus", "--cpu-quota"});
  }
  CHECK(shown_text == "--cpu-quota: expected a whole number, got \"x\"");
}
