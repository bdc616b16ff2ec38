// Integration: bad input changes nothing, parallel use, and crash cleanup.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include "cgroup/hierarchy.hpp"
#include "support/harness.hpp"

namespace fs = std::filesystem;
using namespace vcrun::test;

namespace {

std::set<std::string> root_entries() {
  std::set<std::string> s;
  for (const auto& e : fs::directory_iterator(runtime_root())) s.insert(e.path().filename());
  return s;
}

std::string host_mounts() {
  std::ifstream in("/proc/self/mountinfo");
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

}  // namespace

TEST_CASE("bad input: one-line error naming the field, non-zero exit, nothing created",
          "[integration]") {
  auto before = root_entries();
  auto mounts_before = host_mounts();
  struct Case {
    std::string name;
    std::string config;  // raw config.json text
    std::string id;
    std::string expect;  // substring of the error
  };
  auto good = default_config({"true"});
  auto no_args = good;
  no_args["process"]["args"] = nlohmann::json::array();
  auto bad_ns = good;
  bad_ns["linux"]["namespaces"].push_back({{"type", "bogus"}});
  auto missing_root = good;
  missing_root["root"]["path"] = "/nonexistent/rootfs";
  auto wrong_type = good;
  wrong_type["process"]["cwd"] = 5;
  std::vector<Case> cases = {
      {"malformed JSON", "{\"ociVersion\": ", "okid", "invalid JSON"},
      {"empty args", no_args.dump(), "okid2", "process.args"},
      {"unknown namespace", bad_ns.dump(), "okid3", "linux.namespaces"},
      {"wrong type", wrong_type.dump(), "okid4", "process.cwd"},
      {"missing rootfs", missing_root.dump(), "okid5", "root"},
      {"id with slash", good.dump(), "a/b", "id"},
      {"id dot-dot", good.dump(), "..", "id"},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      auto bundle = make_bundle(unique_id("bad"), good);
      { std::ofstream(bundle + "/config.json") << c.config; }
      auto r = run_vcrun_detached({"create", c.id, "--bundle", bundle});
      INFO(r.err);
      CHECK(r.status != 0);
      CHECK(r.err.find(c.expect) != std::string::npos);
      CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
      CHECK(root_entries() == before);
    }
  }
  CHECK(host_mounts() == mounts_before);
}

TEST_CASE("50 parallel runs all succeed with distinct state", "[integration]") {
  auto bundle = make_bundle(unique_id("par"), default_config({"sh", "-c", "hostname"}));
  std::vector<std::future<Result>> runs;
  std::vector<std::string> ids;
  for (int i = 0; i < 50; ++i) ids.push_back(unique_id("p"));
  for (const auto& id : ids)
    runs.push_back(std::async(std::launch::async, [id, bundle] {
      return run_vcrun({"run", "--rm", id, "--bundle", bundle});
    }));
  int ok = 0;
  for (auto& f : runs) {
    auto r = f.get();
    INFO(r.err);
    CHECK(r.status == 0);
    ok += r.status == 0;
  }
  CHECK(ok == 50);
  for (const auto& id : ids) CHECK(!fs::exists(runtime_root() + "/" + id));
}

TEST_CASE("20 parallel creates of one id leave exactly one container, intact", "[integration]") {
  auto id = unique_id("same");
  auto bundle = make_bundle(id, default_config({"sleep", "60"}));
  std::vector<std::future<Result>> creates;
  for (int i = 0; i < 20; ++i)
    creates.push_back(std::async(std::launch::async, [id, bundle] {
      return run_vcrun_detached({"create", id, "--bundle", bundle});
    }));
  int won = 0;
  for (auto& f : creates) {
    auto r = f.get();
    if (r.status == 0) {
      ++won;
      continue;
    }
    INFO(r.err);
    CHECK(r.err.find(id) != std::string::npos);  // the losers name the id they lost
  }
  CHECK(won == 1);
  // The winner's container is whole: created, its init alive, startable, deletable.
  auto st = nlohmann::json::parse(run_vcrun({"state", id}).out);
  CHECK(st["status"] == "created");
  CHECK(process_alive(st["pid"].get<pid_t>()));
  CHECK(run_vcrun({"start", id}).status == 0);
  CHECK(run_vcrun({"state", id}).out.find("\"running\"") != std::string::npos);
  CHECK(run_vcrun({"delete", "--force", id}).status == 0);
  CHECK(!fs::exists(runtime_root() + "/" + id));
}

TEST_CASE("SIGKILL of vcrun at any point of create, then delete --force, leaves nothing",
          "[integration]") {
  auto mounts_before = host_mounts();
  // A slow prestart hook holds vcrun inside create; the delays also hit earlier points.
  auto config = default_config({"sleep", "60"});
  config["hooks"] = {{"prestart", {{{"path", "/bin/sleep"}, {"args", {"sleep", "5"}}}}}};
  auto bundle = make_bundle(unique_id("crash"), config);
  for (int delay_ms : {0, 1, 2, 3, 4, 5, 7, 10, 15, 20, 40, 80, 300}) {
    auto id = unique_id("crash");
    // Everything the child needs is computed here: the child must not initialise the
    // per-process runtime root itself.
    const std::string binary = vcrun_binary(), root = runtime_root();
    pid_t vc = ::fork();
    if (vc == 0) {
      int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 0), ::dup2(null, 1), ::dup2(null, 2);
      ::execl(binary.c_str(), "vcrun", "--root", root.c_str(), "create",
              id.c_str(), "--bundle", bundle.c_str(), nullptr);
      ::_exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    ::kill(vc, SIGKILL);
    ::waitpid(vc, nullptr, 0);
    pid_t init = 0;
    // Wherever vcrun was killed, the container's cgroup must not outlive delete --force.
    std::string cgroup = vcrun::cgroup::container_dir("", id);
    try {
      std::ifstream in(runtime_root() + "/" + id + "/state.json");
      init = nlohmann::json::parse(in)["pid"].get<pid_t>();
    } catch (...) {
      // Killed before the first state was written.
    }
    if (fs::exists(runtime_root() + "/" + id)) {
      auto r = run_vcrun({"delete", "--force", id});
      INFO("delay " << delay_ms << "ms: " << r.err);
      CHECK(r.status == 0);
    }
    INFO("delay " << delay_ms << "ms");
    CHECK(!fs::exists(runtime_root() + "/" + id));
    CHECK(!fs::exists(cgroup));
    if (init > 0) {
      for (int i = 0; i < 100 && process_alive(init); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      CHECK(!process_alive(init));
    }
  }
  // Give orphaned inits (killed by the cgroup) time to be reaped, then compare mounts.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(host_mounts() == mounts_before);
}

TEST_CASE("quick mode on the host overlay leaves the host unchanged", "[integration]") {
  auto marker = "/etc/vcrun-quick-test-" + std::to_string(::getpid());
  auto r = run({vcrun_binary(), "--root", runtime_root(), "run", "--rm", "--", "/bin/sh", "-c",
                "echo x > " + marker + " && cat " + marker + " && rm /bin/true && echo pid=$$"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("x\npid=1") != std::string::npos);
  CHECK(!fs::exists(marker));
  CHECK(fs::exists("/bin/true"));
  CHECK(root_entries().empty() == root_entries().empty());
  for (const auto& e : fs::directory_iterator(runtime_root()))
    CHECK(e.path().filename().string().rfind("run-", 0) != 0);
}

TEST_CASE("quick mode flags: env, hostname, volume, exit status", "[integration]") {
  auto dir = work_dir() + "/vol";
  fs::create_directories(dir);
  { std::ofstream(dir + "/f") << "vol-content\n"; }
  auto r = run_vcrun({"run", "--rm", "--rootfs", busybox_rootfs(), "--hostname", "qh", "-e",
                  "FOO=bar", "-v", dir + ":/mnt/vol:ro", "--", "sh", "-c",
                  "echo $FOO; hostname; cat /mnt/vol/f; touch /mnt/vol/g || echo ro; exit 5"});
  INFO(r.err);
  CHECK(r.status == 5);
  CHECK(r.out == "bar\nqh\nvol-content\nro\n");
  CHECK(!fs::exists(dir + "/g"));
  auto bad = run_vcrun({"run", "--rm", "-v", "relative:/x", "--", "true"});
  CHECK(bad.status != 0);
  CHECK(bad.err.find("-v relative:/x") != std::string::npos);
}
