// Integration: process.terminal — the process gets a pty of the container's own devpts.
#include <catch2/catch.hpp>

#include "support/harness.hpp"

using namespace vcrun::test;

TEST_CASE("a terminal process runs on a pty from the container's devpts", "[integration]") {
  auto r = run_vcrun({"run", "--rm", "--rootfs", busybox_rootfs(), "-t", "--", "sh", "-c",
                      "tty; test -t 0 && test -t 1 && echo both-tty; exit 4"});
  INFO(r.err);
  CHECK(r.status == 4);
  // The container's own devpts instance starts numbering at 0.
  CHECK(r.out.find("/dev/pts/0") != std::string::npos);
  CHECK(r.out.find("both-tty") != std::string::npos);
}

TEST_CASE("a terminal container cannot be created without a console socket", "[integration]") {
  auto config = default_config({"true"});
  config["process"]["terminal"] = true;
  auto id = unique_id("tty");
  auto bundle = make_bundle(id, config);
  auto r = run_vcrun_detached({"create", id, "--bundle", bundle});
  CHECK(r.status != 0);
  CHECK(r.err.find("--console-socket") != std::string::npos);
  CHECK(run_vcrun({"state", id}).status != 0);
}

TEST_CASE("exec --tty gives the new process its own pty", "[integration]") {
  auto id = unique_id("exectty");
  auto bundle = make_bundle(id, default_config({"sleep", "30"}));
  REQUIRE(run_vcrun_detached({"run", "--detach", id, "--bundle", bundle}).status == 0);
  auto r = run_vcrun({"exec", "-t", id, "--", "sh", "-c", "tty"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out.find("/dev/pts/") != std::string::npos);
  CHECK(run_vcrun({"delete", "--force", id}).status == 0);
}

TEST_CASE("the pty belongs to the process's user and the tty group, sends bare LF and "
          "takes process.consoleSize", "[integration]") {
  auto id = unique_id("ttyown");
  auto config = default_config({"sh", "-c", "stat -c '%u:%g' $(tty); stty size; echo end"});
  config["process"]["terminal"] = true;
  config["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
  config["process"]["consoleSize"] = {{"height", 33}, {"width", 101}};
  for (auto& m : config["mounts"])  // runc spec's devpts options
    if (m["destination"] == "/dev/pts")
      m["options"] = {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"};
  auto r = run_vcrun({"run", "--bundle", make_bundle(id, config), id});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "1000:5\n33 101\nend\n");
  run_vcrun({"delete", "--force", id});
}

TEST_CASE("quick mode's own devpts gives ptys to the tty group", "[integration]") {
  auto r = run_vcrun({"run", "--rm", "--rootfs", busybox_rootfs(), "-t", "--", "sh", "-c",
                      "stat -c %g $(tty)"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "5\n");
}
