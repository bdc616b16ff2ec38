// [vm] tests of src/cgroup/ used directly (create, limits, devices, destroy) with forked
// children placed in the container cgroup. Cases needing a controller SKIP without it.
#include <sys/mman.h>
#include <sys/xattr.h>
#include <sys/sysmacros.h>

#include <cstring>

#include "cgroup/container_cgroup.hpp"
#include "cgroup/cpu_planner.hpp"
#include "cgroup_test_util.hpp"
#include "vcrun/error.hpp"

using namespace vcrun;
using namespace vcrun::cgtest;

namespace {

std::string uid(const std::string& tag) {
  static int n = 0;
  return "m" + std::to_string(::getpid()) + "-" + std::to_string(++n) + "-" + tag;
}

}  // namespace

TEST_CASE("a container without limits gets a cgroup, and destroy kills and removes it", "[vm]") {
  if (!exists("/proc/self/cgroup") || ::geteuid() != 0) {
    WARN("SKIP: needs root");
    return;
  }
  ContainerSpec spec;
  std::string path;
  {
    auto cg = cgroup::ContainerCgroup::create(uid("plain"), spec);
    path = cg.path();
    CHECK(path.rfind(cgroup::cgroup2_mount().mount_point + "/", 0) == 0);
    CHECK(exists(path + "/cgroup.procs"));
    CHECK(cg.dir_fd() >= 0);
    cg.release();
  }
  CHECK(exists(path));  // released: survives the object
  pid_t child = spawn_in(path, [] {
    ::pause();
    return 0;
  });
  for (int i = 0; i < 100 && read(path + "/cgroup.procs").empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(read(path + "/cgroup.procs") == std::to_string(child));
  cgroup::destroy(path);
  int status = wait_for(child, 10);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  CHECK(!exists(path));
  CHECK_NOTHROW(cgroup::destroy(path));  // idempotent
}

TEST_CASE("an unreleased ContainerCgroup removes its directory", "[vm]") {
  if (::geteuid() != 0) return;
  std::string path;
  {
    auto cg = cgroup::ContainerCgroup::create(uid("unreleased"), ContainerSpec{});
    path = cg.path();
    CHECK(exists(path));
  }
  CHECK(!exists(path));
}

TEST_CASE("a limit whose controller is missing is refused, naming field and controller", "[vm]") {
  if (::geteuid() != 0) return;
  ContainerSpec spec;
  spec.linux.resources = Resources{};
  spec.linux.resources->memory = MemoryResources{};
  spec.linux.resources->memory->limit = 64 << 20;
  std::string id = uid("mem");
  if (have_controller("memory")) {
    auto cg = cgroup::ContainerCgroup::create(id, spec);
    CHECK(read(cg.path() + "/memory.max") == std::to_string(64 << 20));
    return;
  }
  std::string mp = cgroup::cgroup2_mount().mount_point;
  CHECK_THROWS_WITH(cgroup::ContainerCgroup::create(id, spec),
                    "linux.resources.memory.limit: the memory controller is not available in the "
                    "cgroup v2 hierarchy at " + mp);
  CHECK(!exists(cgroup::default_parent_dir() + "/" + id));
}

TEST_CASE("device BPF denies block devices and allows /dev/null", "[vm]") {
  if (::geteuid() != 0) return;
  auto cg = cgroup::ContainerCgroup::create(uid("dev"), ContainerSpec{});
  // A directory whose file system honours device nodes (tmpfs may be mounted nodev):
  // outside the container the open must not fail with EACCES (nodev) or EPERM.
  std::string node;
  int outside_errno = 0;
  for (std::string dir : {"/tmp", "/run", "/dev"}) {
    std::string candidate = dir + "/vcrun-cg-sda-" + std::to_string(::getpid());
    ::unlink(candidate.c_str());
    if (::mknod(candidate.c_str(), S_IFBLK | 0600, makedev(8, 0)) != 0) continue;
    int fd = ::open(candidate.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    outside_errno = fd >= 0 ? 0 : errno;
    if (fd >= 0) ::close(fd);
    if (outside_errno != EACCES && outside_errno != EPERM) {
      node = candidate;
      break;
    }
    ::unlink(candidate.c_str());
  }
  bool have_node = !node.empty();
  if (!have_node) WARN("SKIP: cannot create a usable block node here; only the /dev/null half runs");
  INFO("block node " << node << ", open outside the container: " << std::strerror(outside_errno));
  pid_t child = spawn_in(cg.path(), [&] {
    int fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd < 0) return 1;
    ::close(fd);
    if (have_node) {
      fd = ::open(node.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
      if (fd >= 0) return 2;
      if (errno != EPERM) return 10 + errno;
      // mknod itself stays allowed (like runc/crun): opening is what is refused.
      std::string n2 = node + "-child";
      ::unlink(n2.c_str());
      if (::mknod(n2.c_str(), S_IFBLK | 0600, makedev(8, 0)) != 0) return 4;
      ::unlink(n2.c_str());
    }
    return 0;
  });
  int status = wait_for(child, 20);
  if (have_node) ::unlink(node.c_str());
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  // Outside the container the same node opens fine (the program is per cgroup).
}

TEST_CASE("memory.max OOM-kills inside the cgroup only", "[vm]") {
  REQUIRE_CONTROLLER("memory");
  ContainerSpec spec;
  spec.linux.resources = Resources{};
  spec.linux.resources->memory = MemoryResources{};
  spec.linux.resources->memory->limit = 32 << 20;
  spec.linux.resources->memory->swap = 32 << 20;  // no swap on top
  auto cg = cgroup::ContainerCgroup::create(uid("oom"), spec);
  pid_t child = spawn_in(cg.path(), [] {
    for (size_t total = 0; total < (512u << 20); total += 1 << 20) {
      void* p = ::mmap(nullptr, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) return 5;
      std::memset(p, 1, 1 << 20);
    }
    return 0;
  });
  int status = wait_for(child, 60);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  CHECK(keyed(cg.path() + "/memory.events", "oom_kill") >= 1);
}

TEST_CASE("pids.max contains a fork bomb and the host keeps forking", "[vm]") {
  REQUIRE_CONTROLLER("pids");
  ContainerSpec spec;
  spec.linux.resources = Resources{};
  spec.linux.resources->pids_limit = 16;
  auto cg = cgroup::ContainerCgroup::create(uid("pids"), spec);
  pid_t bomb = spawn_in(cg.path(), [] {
    for (int i = 0; i < 2000; ++i) {
      pid_t p = ::fork();
      if (p == 0) {
        ::pause();
        ::_exit(0);
      }
    }
    ::pause();
    return 0;
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));
  CHECK(std::stoul(read(cg.path() + "/pids.current")) <= 16);
  CHECK(keyed(cg.path() + "/pids.events", "max") >= 1);
  // The host is unaffected.
  pid_t p = ::fork();
  if (p == 0) ::_exit(7);
  int st = 0;
  REQUIRE(p > 0);
  ::waitpid(p, &st, 0);
  CHECK(WEXITSTATUS(st) == 7);
  cgroup::kill_all(cg.path());
  wait_for(bomb, 10);
}

TEST_CASE("cpu.max throttles and caps usage", "[vm]") {
  REQUIRE_CONTROLLER("cpu");
  ContainerSpec spec;
  spec.linux.resources = Resources{};
  spec.linux.resources->cpu = CpuResources{};
  spec.linux.resources->cpu->quota = 20000;
  spec.linux.resources->cpu->period = 100000;
  auto cg = cgroup::ContainerCgroup::create(uid("cpumax"), spec);
  CHECK(read(cg.path() + "/cpu.max") == "20000 100000");
  pid_t spin = spawn_in(cg.path(), [] {
    for (;;) asm volatile("" ::: "memory");
    return 0;
  });
  uint64_t u0 = keyed(cg.path() + "/cpu.stat", "usage_usec");
  auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  uint64_t u1 = keyed(cg.path() + "/cpu.stat", "usage_usec");
  double wall = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  double frac = static_cast<double>(u1 - u0) / wall;
  CHECK(keyed(cg.path() + "/cpu.stat", "nr_throttled") > 0);
  CHECK(frac < 0.26);
  CHECK(frac > 0.12);
  cgroup::kill_all(cg.path());
  wait_for(spin, 10);
}

TEST_CASE("admission control refuses an over-committed reservation and leaves nothing", "[vm]") {
  REQUIRE_CONTROLLER("cpu");
  ContainerSpec a;
  a.vcrun.cpu_reservation = 0.7;
  auto ca = cgroup::ContainerCgroup::create(uid("resA"), a);
  CHECK(read(ca.path() + "/cpu.weight") == "1250");  // alone: all of it, with monitor headroom
  ContainerSpec b;
  b.vcrun.cpu_reservation = 0.5;
  std::string idb = uid("resB");
  CHECK_THROWS_WITH(cgroup::ContainerCgroup::create(idb, b),
                    Catch::Contains("vcrun.cpu.reservation") && Catch::Contains("must not exceed 1"));
  CHECK(!exists(cgroup::parent_of(ca.path()) + "/" + idb));
  b.vcrun.cpu_reservation = 0.3;
  auto cb = cgroup::ContainerCgroup::create(idb, b);
  // Weights follow r + (1-R) s/S: 0.7 vs 0.3 with nothing left to share.
  double wa = std::stod(read(ca.path() + "/cpu.weight")), wb = std::stod(read(cb.path() + "/cpu.weight"));
  CHECK(wa / (wa + wb) == Approx(0.7).margin(0.01));
}

TEST_CASE("a default container joins a planned parent's plan, and the parent's marker follows", "[vm]") {
  REQUIRE_CONTROLLER("cpu");
  const char* marker = "trusted.vcrun.cpu.active";
  auto marked = [&](const std::string& dir) { return ::getxattr(dir.c_str(), marker, nullptr, 0) >= 0; };
  std::string parent;
  {
    ContainerSpec a;
    a.vcrun.cpu_reservation = 0.5;
    auto ca = cgroup::ContainerCgroup::create(uid("planA"), a);
    parent = cgroup::parent_of(ca.path());
    CHECK(marked(parent));
    // A default container takes no fast path here: it counts in the shares, so the plan
    // is A 0.5 + 0.5 * 1/2 = 0.75 against B 0.25.
    auto cb = cgroup::ContainerCgroup::create(uid("dfltB"), ContainerSpec{});
    double wa = std::stod(read(ca.path() + "/cpu.weight")), wb = std::stod(read(cb.path() + "/cpu.weight"));
    CHECK(wa / (wa + wb) == Approx(0.75).margin(0.01));
  }
  // Both removed: no planned member is left, so the marker goes and default containers
  // keep the default weight without a scan.
  CHECK_FALSE(marked(parent));
  auto cc = cgroup::ContainerCgroup::create(uid("dfltC"), ContainerSpec{});
  CHECK(read(cc.path() + "/cpu.weight") == "100");
}
