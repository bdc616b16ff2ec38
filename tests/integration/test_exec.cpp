// Integration: exec's process options (--process FILE, --user, --console-socket) as OCI
// tooling (containerd, podman) and people use them.
#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "support/harness.hpp"

using namespace vcrun::test;
using nlohmann::json;

namespace {

using Running = RunningContainer;

std::string write_process(const std::string& name, const json& process) {
  std::string path = work_dir() + "/" + name + ".json";
  std::ofstream(path) << process.dump();
  return path;
}

// Number of processes in the container, counted by one shell that forks nothing (a pipe's
// second process may or may not exist yet when the glob runs): what an exec left running.
std::string container_processes(const std::string& id) {
  return run_vcrun({"exec", id, "--", "sh", "-c", "set -- /proc/[0-9]*; echo $#"}).out;
}

}  // namespace

TEST_CASE("exec --process runs the OCI process of a file, flags on top", "[integration]") {
  Running c("execproc");
  json process = {{"args", {"sh", "-c", "id -u; id -g; pwd; echo $FOO; grep CapEff /proc/self/status"}},
                  {"env", {"PATH=/bin", "FOO=from-file"}},
                  {"cwd", "/tmp"},
                  {"user", {{"uid", 1000}, {"gid", 1001}}},
                  {"noNewPrivileges", true}};
  auto file = write_process(c.id, process);
  auto r = run_vcrun({"exec", "--process", file, c.id});
  INFO(r.err);
  REQUIRE(r.status == 0);
  // No capabilities object: none at all, as in a config.json.
  CHECK(r.out == "1000\n1001\n/tmp\nfrom-file\nCapEff:\t0000000000000000\n");
  auto over = run_vcrun({"exec", "--process", file, "-e", "FOO=from-flag", "--user", "0:0", c.id});
  INFO(over.err);
  CHECK(over.out.rfind("0\n0\n/tmp\nfrom-flag\n", 0) == 0);
}

TEST_CASE("exec --user runs the command as UID:GID", "[integration]") {
  Running c("execuser");
  auto r = run_vcrun({"exec", "--user", "1234:5678", c.id, "--", "sh", "-c", "id -u; id -g"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "1234\n5678\n");
  auto uid_only = run_vcrun({"exec", "-u", "42", c.id, "--", "id", "-u"});
  CHECK(uid_only.out == "42\n");
}

TEST_CASE("exec --cap, --additional-gids and --no-new-privs change the process", "[integration]") {
  Running c("execcaps");
  auto status = [&](const std::vector<std::string>& flags) {
    std::vector<std::string> argv = {"exec"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.push_back(c.id);
    for (const char* a : {"--", "sh", "-c", "grep -E '^(CapEff|CapBnd|Groups|NoNewPrivs)' /proc/self/status"})
      argv.push_back(a);
    auto r = run_vcrun(argv);
    INFO(r.err);
    REQUIRE(r.status == 0);
    return r.out;
  };
  // CAP_SYS_ADMIN is bit 21 (0x200000); the default set lacks it.
  auto plain = status({});
  CHECK(plain.find("CapEff:\t00000000a80425fb") != std::string::npos);
  auto added = status({"--cap", "CAP_SYS_ADMIN", "-c", "CAP_SYS_PTRACE"});
  CHECK(added.find("CapEff:\t00000000a82c25fb") != std::string::npos);
  CHECK(added.find("CapBnd:\t00000000a82c25fb") != std::string::npos);
  CHECK(status({"-g", "10", "--additional-gids", "20"}).find("Groups:\t10 20") != std::string::npos);
  // The default spec already sets noNewPrivileges: start from a process that does not.
  auto file = write_process(c.id, {{"args", {"true"}}, {"cwd", "/"}, {"noNewPrivileges", false}});
  CHECK(status({"--process", file}).find("NoNewPrivs:\t0") != std::string::npos);
  CHECK(status({"--process", file, "--no-new-privs"}).find("NoNewPrivs:\t1") != std::string::npos);
}

TEST_CASE("exec: bad process options are refused, naming the field, and start nothing", "[integration]") {
  Running c("execbad");
  std::string before = container_processes(c.id);
  auto check = [&](const std::vector<std::string>& args, const std::string& field) {
    std::vector<std::string> argv = {"exec"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_vcrun(argv);
    INFO(field << ": " << r.err);
    CHECK(r.status != 0);
    CHECK(r.err.find(field) != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  };
  auto empty_args = write_process(c.id + "-empty", {{"args", json::array()}, {"cwd", "/"}});
  auto relative_cwd = write_process(c.id + "-cwd", {{"args", {"true"}}, {"cwd", "tmp"}});
  std::string not_json = work_dir() + "/" + c.id + "-bad.json";
  std::ofstream(not_json) << "{\"args\": [";
  check({"--process", empty_args, c.id}, "process.args: must be a non-empty array");
  check({"--process", relative_cwd, c.id}, "process.cwd: must be an absolute path");
  check({"--process", not_json, c.id}, "process: invalid JSON");
  check({"--process", work_dir() + "/no-such.json", c.id}, "no-such.json");
  check({"--user", "root", c.id, "--", "true"}, "--user: must be UID or UID:GID");
  check({"--user", "1:x", c.id, "--", "true"}, "--user: must be UID or UID:GID");
  check({"-d", "-t", c.id, "--", "true"}, "--tty: with --detach needs --console-socket");
  check({"--console-socket", "/nonexistent.sock", c.id, "--", "true"}, "--console-socket: needs a terminal");
  check({c.id}, "args: must name a command");
  check({"--cap", "CAP_BOGUS", c.id, "--", "true"}, "--cap[0]: unknown capability \"CAP_BOGUS\"");
  check({"-g", "staff", c.id, "--", "true"}, "--additional-gids: must be a GID");
  check({"--preserve-fds", "100", c.id, "--", "true"}, "--preserve-fds: fd ");
  CHECK(container_processes(c.id) == before);
}

TEST_CASE("exec --detach --tty hands the terminal to the console socket", "[integration]") {
  Running c("execsock");
  std::string sock_path = work_dir() + "/" + c.id + ".sock";
  ::unlink(sock_path.c_str());
  int srv = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(srv >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock_path.c_str());
  REQUIRE(::bind(srv, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(srv, 1) == 0);
  auto r = run_vcrun_detached({"exec", "-d", "-t", "--console-socket", sock_path, c.id, "--",
                               "sh", "-c", "tty; sleep 2"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  int conn = ::accept4(srv, nullptr, nullptr, SOCK_CLOEXEC);
  REQUIRE(conn >= 0);
  int master = receive_fd_message(conn).fd;
  REQUIRE(master >= 0);
  // The process writes `tty` onto the terminal whose master we now hold.
  std::string out;
  for (int i = 0; i < 50 && out.find('\n') == std::string::npos; ++i) {
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[256];
    ssize_t n = ::read(master, buf, sizeof buf);
    if (n > 0) out.append(buf, static_cast<size_t>(n));
  }
  CHECK(out.find("/dev/pts/") != std::string::npos);
  ::close(master);
  ::close(conn);
  ::close(srv);
  ::unlink(sock_path.c_str());
}
