// Integration: a container that joins another container's user namespace by path while
// creating its other namespaces (as podman pods and `--userns container:` do). The new
// namespaces must be owned by the joined user namespace, or the init has no privilege in
// them (sethostname, mounts).
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/harness.hpp"

using namespace vcrun::test;

namespace {

constexpr uid_t kMappedRoot = 100000;

nlohmann::json own_userns_config(const std::vector<std::string>& args) {
  auto config = default_config(args);
  config["linux"]["namespaces"].push_back({{"type", "user"}});
  config["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", kMappedRoot}, {"size", 65536}}};
  config["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", kMappedRoot}, {"size", 65536}}};
  return config;
}

// New pid, network, ipc, uts, mount and cgroup namespaces (the default config's), the
// user namespace of `owner_pid` joined by path, no mappings of its own, a hostname.
nlohmann::json joining_config(const std::vector<std::string>& args, pid_t owner_pid,
                              const std::string& hostname) {
  auto config = default_config(args);
  config["linux"]["namespaces"].push_back(
      {{"type", "user"}, {"path", "/proc/" + std::to_string(owner_pid) + "/ns/user"}});
  config["hostname"] = hostname;
  config["root"]["readonly"] = false;  // the init writes to /tmp
  return config;
}

// Deletes the container (whatever state it is in) at scope exit.
struct Cleanup {
  std::string id;
  ~Cleanup() { run_vcrun({"delete", "--force", id}); }
};

pid_t init_pid(const std::string& id) {
  auto r = run_vcrun({"state", id});
  if (r.status != 0) return -1;
  return nlohmann::json::parse(r.out).value("pid", -1);
}

ino_t user_ns_inode(pid_t pid) {
  struct stat st;
  std::string path = "/proc/" + std::to_string(pid) + "/ns/user";
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// The last NSpid field of /proc/<pid>/status: the pid in its innermost pid namespace.
std::string innermost_pid(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("NSpid:", 0) == 0) {
      std::istringstream fields(line.substr(6));
      std::string last, f;
      while (fields >> f) last = f;
      return last;
    }
  return "";
}

// The cgroup v2 path of `pid` as the host sees it ("0::" line of /proc/<pid>/cgroup).
std::string unified_cgroup(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  return "";
}

// The cgroup directory vcrun recorded for container `id`.
std::string recorded_cgroup(const std::string& id) {
  std::ifstream in(runtime_root() + "/" + id + "/state.json");
  return nlohmann::json::parse(in).value("cgroupPath", "");
}

uid_t owner_of(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 ? st.st_uid : static_cast<uid_t>(-1);
}

// Runs container A (its own user namespace, `sleep 60`); returns its init pid.
pid_t run_owner(const std::string& id) {
  auto r = run_vcrun_detached(
      {"run", "--detach", id, "--bundle", make_bundle(id, own_userns_config({"sleep", "60"}))});
  INFO(r.err);
  REQUIRE(r.status == 0);
  pid_t pid = init_pid(id);
  REQUIRE(pid > 0);
  return pid;
}

// A bundle whose /tmp the container's mapped root may write (the copied rootfs is host
// root's).
std::string writable_tmp_bundle(const std::string& id, const nlohmann::json& config) {
  auto bundle = make_bundle(id, config);
  REQUIRE(::chmod((bundle + "/rootfs/tmp").c_str(), 01777) == 0);
  return bundle;
}

}  // namespace

TEST_CASE("a container joins another's user namespace with new namespaces and a hostname",
          "[integration]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  Cleanup a{unique_id("uj-owner")};
  pid_t a_pid = run_owner(a.id);

  Cleanup b{unique_id("uj-joiner")};
  auto bundle = writable_tmp_bundle(
      b.id, joining_config({"sh", "-c", "touch /tmp/by-init && exec sleep 60"}, a_pid, "joiner-b"));
  auto r = run_vcrun_detached({"run", "--detach", b.id, "--bundle", bundle});
  INFO(r.err);
  REQUIRE(r.status == 0);
  pid_t b_pid = init_pid(b.id);
  REQUIRE(b_pid > 0);

  // The same user namespace as A, seen from the host.
  CHECK(user_ns_inode(b_pid) != 0);
  CHECK(user_ns_inode(b_pid) == user_ns_inode(a_pid));
  CHECK(user_ns_inode(b_pid) != user_ns_inode(::getpid()));
  // B's init is pid 1 of its own pid namespace.
  CHECK(innermost_pid(b_pid) == "1");
  {  // ... and was cloned into B's cgroup.
    auto cgroup = unified_cgroup(b_pid);
    INFO("cgroup " << cgroup << ", recorded " << recorded_cgroup(b.id));
    CHECK(cgroup.size() > 1);
    CHECK(recorded_cgroup(b.id).ends_with(cgroup));
  }

  r = run_vcrun({"exec", b.id, "hostname"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "joiner-b\n");
  // An exec'd process is in the joined user namespace as well.
  r = run_vcrun({"exec", b.id, "readlink", "/proc/self/ns/user"});
  CHECK(r.status == 0);
  CHECK(r.out == std::filesystem::read_symlink("/proc/" + std::to_string(a_pid) + "/ns/user")
                         .string() + "\n");
  r = run_vcrun({"exec", b.id, "sh", "-c", "id -u && touch /tmp/by-exec"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "0\n");

  // Files the container's root creates belong to the mapped host uid.
  for (int i = 0; i < 100 && owner_of(bundle + "/rootfs/tmp/by-init") == static_cast<uid_t>(-1); ++i)
    ::usleep(20000);
  CHECK(owner_of(bundle + "/rootfs/tmp/by-init") == kMappedRoot);
  CHECK(owner_of(bundle + "/rootfs/tmp/by-exec") == kMappedRoot);

  // A plain delete after a kill: nothing is left of B, and A keeps running.
  CHECK(run_vcrun({"kill", b.id, "KILL"}).status == 0);
  for (int i = 0; i < 100 && process_alive(b_pid); ++i) ::usleep(20000);
  CHECK_FALSE(process_alive(b_pid));
  r = run_vcrun({"delete", b.id});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(run_vcrun({"state", b.id}).status != 0);
  CHECK_FALSE(std::filesystem::exists(runtime_root() + "/" + b.id));
  CHECK(process_alive(a_pid));
}

TEST_CASE("a foreground run joining another's user namespace returns the exit status",
          "[integration]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  Cleanup a{unique_id("uj-fg-owner")};
  pid_t a_pid = run_owner(a.id);
  Cleanup b{unique_id("uj-fg-joiner")};
  // `run` waits for the init: it must be vcrun's own child, not the joining helper's.
  auto r = run_vcrun({"run", b.id, "--bundle",
                      make_bundle(b.id, joining_config({"sh", "-c", "hostname; exit 3"}, a_pid,
                                                       "joiner-fg"))});
  INFO(r.err);
  CHECK(r.status == 3);
  CHECK(r.out == "joiner-fg\n");
  CHECK(run_vcrun({"state", b.id}).status != 0);  // run removes the container
}

TEST_CASE("a container joining another's user namespace is created and started",
          "[integration]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  Cleanup a{unique_id("uj-cs-owner")};
  pid_t a_pid = run_owner(a.id);

  Cleanup b{unique_id("uj-cs-joiner")};
  auto bundle = writable_tmp_bundle(
      b.id, joining_config({"sh", "-c", "hostname; id -u; echo $$; touch /tmp/by-init"}, a_pid,
                           "joiner-cs"));
  auto out = work_dir() + "/" + b.id + ".out";
  auto slurp = [&] {
    std::ifstream in(out);
    return std::string((std::istreambuf_iterator<char>(in)), {});
  };
  // create's stdio is the container's: to a file, so only vcrun itself is waited for.
  auto r = run({"/bin/sh", "-c", "exec \"$@\" >" + out + " 2>&1 </dev/null", "sh",
                vcrun_binary(), "--root", runtime_root(), "create", b.id, "--bundle", bundle});
  INFO(slurp());
  REQUIRE(r.status == 0);
  pid_t b_pid = init_pid(b.id);
  REQUIRE(b_pid > 0);
  CHECK(user_ns_inode(b_pid) == user_ns_inode(a_pid));
  // The init opens the exec fifo as the joined namespace's root.
  r = run_vcrun({"start", b.id});
  INFO(r.err);
  REQUIRE(r.status == 0);
  for (int i = 0; i < 100 && run_vcrun({"state", b.id}).out.find("stopped") == std::string::npos;
       ++i)
    ::usleep(20000);
  CHECK(slurp() == "joiner-cs\n0\n1\n");
  CHECK(owner_of(bundle + "/rootfs/tmp/by-init") == kMappedRoot);
  r = run_vcrun({"delete", b.id});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(run_vcrun({"state", b.id}).status != 0);
}

TEST_CASE("a container joining another's user and pid namespaces runs in both",
          "[integration]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  Cleanup a{unique_id("uj-pid-owner")};
  pid_t a_pid = run_owner(a.id);
  Cleanup b{unique_id("uj-pid-joiner")};
  auto config = joining_config({"sleep", "60"}, a_pid, "joiner-pid");
  for (auto& ns : config["linux"]["namespaces"])
    if (ns["type"] == "pid") ns["path"] = "/proc/" + std::to_string(a_pid) + "/ns/pid";
  auto r = run_vcrun_detached({"run", "--detach", b.id, "--bundle", make_bundle(b.id, config)});
  INFO(r.err);
  REQUIRE(r.status == 0);
  pid_t b_pid = init_pid(b.id);
  REQUIRE(b_pid > 0);
  CHECK(user_ns_inode(b_pid) == user_ns_inode(a_pid));
  CHECK(innermost_pid(b_pid) != "1");  // a member of A's pid namespace, A's init is 1
  r = run_vcrun({"exec", b.id, "hostname"});
  CHECK(r.status == 0);
  CHECK(r.out == "joiner-pid\n");
}

TEST_CASE("joining a user namespace that is not one fails and leaves nothing",
          "[integration]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  Cleanup a{unique_id("uj-bad-owner")};
  pid_t a_pid = run_owner(a.id);
  Cleanup b{unique_id("uj-bad-joiner")};
  auto config = joining_config({"true"}, a_pid, "joiner-bad");
  for (auto& ns : config["linux"]["namespaces"])
    if (ns["type"] == "user") ns["path"] = "/proc/" + std::to_string(a_pid) + "/ns/net";
  auto r = run_vcrun_detached({"run", "--detach", b.id, "--bundle", make_bundle(b.id, config)});
  CHECK(r.status != 0);
  // Refused when the path is opened, before anything is cloned.
  CHECK_THAT(r.err, Catch::Contains("].path: /proc/" + std::to_string(a_pid) +
                                    "/ns/net is a network namespace, not user"));
  CHECK(run_vcrun({"state", b.id}).status != 0);
  CHECK_FALSE(std::filesystem::exists(runtime_root() + "/" + b.id));
}
