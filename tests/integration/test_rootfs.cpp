// Root-only tests of rootfs::setup: a busybox root built in a temp dir, entered in a child.
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>

#include "runtime/rootfs/rootfs.hpp"
#include "vcrun/error.hpp"

namespace fs = std::filesystem;
using vcrun::ContainerSpec;

namespace {

// A temp dir for one test; refuses to delete anything while a mount is still below it on
// the host (that would mean setup leaked a mount, and remove_all would walk into it).
struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("vcrun-rootfs-" + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    if (!host_mounts_below().empty()) return;
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string host_mounts_below() const {
    std::ifstream in("/proc/self/mountinfo");
    std::string line, found;
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string id, parent, devno, root, mnt;
      f >> id >> parent >> devno >> root >> mnt;
      if (mnt.rfind(path.string(), 0) == 0) found += mnt + "\n";
    }
    return found;
  }
};

void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

// A minimal busybox root: /bin/busybox plus the applets the checks use.
void build_busybox_root(const fs::path& root) {
  for (const char* d : {"bin", "proc", "sys", "dev", "tmp", "etc", "mnt"})
    fs::create_directories(root / d);
  fs::copy_file("/bin/busybox", root / "bin/busybox");
  for (const char* applet : {"sh", "cat", "test", "ls", "touch", "echo", "mount"})
    fs::create_symlink("busybox", root / "bin" / applet);
  write(root / "etc/secret", "the container must not read this\n");
}

struct Outcome {
  int status = -1;
  std::string messages;
};

// Runs `body` in a grandchild that is pid 1 of new pid/mount/ipc namespaces, after
// rootfs::setup. The grandchild reports failures as lines on a pipe and exits non-zero.
// With `userns`, the namespaces are owned by a new user namespace mapping only root to
// root (the one mapping a process may write for itself), where mknod is never allowed.
Outcome run_in_container(const ContainerSpec& spec, const vcrun::rootfs::Plan& plan,
                         const std::function<int(int report_fd)>& body, bool userns = false,
                         int extra_namespaces = 0) {
  int p[2];
  REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(p[0]);
    int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | extra_namespaces;
    if (::unshare(flags | (userns ? CLONE_NEWUSER : 0)) != 0) _exit(90);
    if (userns) {
      std::ofstream("/proc/self/setgroups") << "deny";
      std::ofstream("/proc/self/uid_map") << "0 0 1";
      std::ofstream("/proc/self/gid_map") << "0 0 1";
    }
    pid_t init = ::fork();
    if (init < 0) _exit(91);
    if (init == 0) {
      try {
        vcrun::rootfs::setup(spec, plan);
      } catch (const std::exception& e) {
        std::string m = std::string("setup: ") + e.what() + "\n";
        (void)!::write(p[1], m.data(), m.size());
        _exit(2);
      }
      _exit(body(p[1]));
    }
    int st = 0;
    if (::waitpid(init, &st, 0) != init) _exit(92);
    _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
  }
  ::close(p[1]);
  Outcome out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(p[0], buf, sizeof buf)) > 0) out.messages.append(buf, static_cast<size_t>(n));
  ::close(p[0]);
  int st = 0;
  REQUIRE(::waitpid(child, &st, 0) == child);
  out.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return out;
}

// Check helpers for the grandchild: they only write to the report pipe.
struct Checker {
  int fd;
  int failures = 0;
  void expect(bool ok, const std::string& what) {
    if (ok) return;
    ++failures;
    std::string m = "FAIL: " + what + " (errno " + std::strerror(errno) + ")\n";
    (void)!::write(fd, m.data(), m.size());
  }
};

std::string slurp(const char* path) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "<open failed: " + std::string(std::strerror(errno)) + ">";
  std::string s;
  char buf[256];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return s;
}

int open_errno(const char* path, int flags) {
  int fd = ::open(path, flags | O_CLOEXEC, 0644);
  if (fd >= 0) {
    ::close(fd);
    return 0;
  }
  return errno;
}

vcrun::Mount mount(const std::string& dest, const std::string& type, const std::string& src,
                   std::vector<std::string> opts) {
  return vcrun::Mount{dest, type, src, std::move(opts)};
}

bool root() {
  if (::geteuid() == 0) return true;
  WARN("SKIP: rootfs::setup tests need root");
  return false;
}

}  // namespace

TEST_CASE("rootfs::setup builds, pivots into and protects a busybox root", "[integration]") {
  if (!root()) return;
  TempDir tmp;
  fs::path rootfs = tmp.path / "rootfs";
  build_busybox_root(rootfs);
  write(tmp.path / "host-only-marker", "host\n");
  fs::create_directories(tmp.path / "host-target");  // what the evil symlink aims at
  fs::create_directories(tmp.path / "hostdata");
  write(tmp.path / "hostdata/data.txt", "bound\n");
  // Absolute link to a host directory: a naive runtime would mount on the host here.
  fs::create_symlink(tmp.path / "host-target", rootfs / "evil");
  // Relative link climbing far above the root.
  fs::create_symlink("../../../../../../host-target", rootfs / "etc/evil2");

  ContainerSpec spec;
  spec.root.path = rootfs;
  spec.root.readonly = true;
  spec.mounts = {
      mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
      mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
      mount("/tmp", "tmpfs", "tmpfs", {"nosuid", "nodev", "mode=1777"}),
      mount("/evil", "tmpfs", "tmpfs", {"mode=700"}),
      mount("/etc/evil2/sub", "tmpfs", "tmpfs", {}),
      mount("/mnt/data", "bind", (tmp.path / "hostdata").string(), {"rbind", "ro", "nosuid"}),
  };
  spec.linux.masked_paths = {"/etc/secret", "/proc/kcore", "/proc/acpi", "/does/not/exist"};
  spec.linux.readonly_paths = {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq",
                               "/not/there/either"};
  spec.linux.rootfs_propagation = "rprivate";
  const std::string marker = (tmp.path / "host-only-marker").string();
  const std::string host_target = (tmp.path / "host-target").string();

  Outcome out = run_in_container(spec, {}, [&](int report) {
    Checker c{report};
    struct stat st {};
    c.expect(::stat("/proc/self/status", &st) == 0, "/proc is mounted");
    c.expect(::getpid() == 1 && slurp("/proc/self/stat").rfind("1 ", 0) == 0,
             "/proc belongs to the container's pid namespace");
    c.expect(::stat(marker.c_str(), &st) != 0 && errno == ENOENT, "old root is gone");
    c.expect(slurp("/etc/secret").empty(), "masked file reads empty");
    c.expect(open_errno("/proc/sys/kernel/hostname", O_WRONLY) == EROFS,
             "/proc/sys is read-only");
    c.expect(open_errno("/proc/irq/default_smp_affinity", O_WRONLY) == EROFS,
             "/proc/irq is read-only (recursively bound)");
    c.expect(::stat("/proc/sysrq-trigger", &st) != 0 ||
                 open_errno("/proc/sysrq-trigger", O_WRONLY) == EROFS,
             "sysrq-trigger read-only where the kernel has one");
    c.expect(::stat("/proc/acpi", &st) == 0 && st.st_nlink == 2 &&
                 open_errno("/proc/acpi/x", O_WRONLY | O_CREAT) == EROFS,
             "masked directory is an empty read-only tmpfs");
    c.expect(::mkdir("/newdir", 0755) != 0 && errno == EROFS, "writing / fails with EROFS");
    c.expect(open_errno("/tmp/ok", O_WRONLY | O_CREAT) == 0, "/tmp is a writable tmpfs");
    c.expect(open_errno("/sys/kernel/uevent_helper", O_WRONLY) == EROFS ||
                 open_errno("/sys/kernel/profiling", O_WRONLY) == EROFS,
             "/sys is read-only");
    c.expect(::stat("/dev/mqueue", &st) == 0, "/dev/mqueue is there");
    // The evil destinations resolved inside the root.
    c.expect(::stat(host_target.c_str(), &st) == 0 && S_ISDIR(st.st_mode) &&
                 (st.st_mode & 0777) == 0700,
             "tmpfs for /evil landed at the link's target inside the rootfs");
    c.expect(::stat("/host-target/sub", &st) == 0, "/etc/evil2/sub landed under /host-target");
    c.expect(slurp("/mnt/data/data.txt") == "bound\n", "bind mount readable");
    c.expect(open_errno("/mnt/data/new", O_WRONLY | O_CREAT) == EROFS, "ro bind is read-only");
    // /dev
    c.expect(::stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3),
             "/dev/null is the null device");
    c.expect(open_errno("/dev/null", O_WRONLY) == 0, "/dev/null writable");
    c.expect(::stat("/dev/urandom", &st) == 0 && S_ISCHR(st.st_mode), "/dev/urandom");
    c.expect(::lstat("/dev/ptmx", &st) == 0 && S_ISLNK(st.st_mode), "/dev/ptmx is a link");
    c.expect(::stat("/dev/pts/ptmx", &st) == 0, "/dev/pts is a devpts");
    c.expect(::stat("/dev/shm", &st) == 0 && (st.st_mode & 07777) == 01777, "/dev/shm 1777");
    c.expect(::stat("/dev/fd", &st) == 0, "/dev/fd resolves");
    if (c.failures) return 1;
    // And the root is usable: busybox runs from it.
    ::execl("/bin/sh", "sh", "-c",
            "test -x /bin/busybox && echo hi > /tmp/x && test \"$(cat /tmp/x)\" = hi", nullptr);
    return 3;
  });
  INFO(out.messages);
  CHECK(out.messages.empty());
  CHECK(out.status == 0);
  // The host side: nothing mounted, the evil link's target untouched.
  CHECK(tmp.host_mounts_below().empty());
  CHECK(fs::is_empty(tmp.path / "host-target"));
}

TEST_CASE("rootfs::setup quick mode: host / under a private overlay", "[integration]") {
  if (!root()) return;
  TempDir tmp;
  fs::create_directories(tmp.path / "root");
  fs::create_directories(tmp.path / "scratch");
  const std::string probe = "/etc/vcrun-rootfs-quick-" + std::to_string(::getpid());

  ContainerSpec spec;
  spec.root.path = tmp.path / "root";
  spec.mounts = {mount("/proc", "proc", "proc", {}), mount("/tmp", "tmpfs", "tmpfs", {})};
  vcrun::rootfs::Plan plan;
  vcrun::rootfs::Overlay overlay;
  overlay.lowers = {"/"};
  overlay.scratch = tmp.path / "scratch";
  plan.overlay = overlay;

  Outcome out = run_in_container(spec, plan, [&](int report) {
    Checker c{report};
    c.expect(!slurp("/etc/debian_version").empty() &&
                 slurp("/etc/debian_version")[0] != '<',
             "host files visible through the overlay");
    c.expect(open_errno(probe.c_str(), O_WRONLY | O_CREAT) == 0, "/ is writable (upper)");
    struct stat st {};
    c.expect(::stat(probe.c_str(), &st) == 0, "the write is visible inside");
    return c.failures ? 1 : 0;
  });
  INFO(out.messages);
  CHECK(out.messages.empty());
  CHECK(out.status == 0);
  CHECK_FALSE(fs::exists(probe));
  CHECK(tmp.host_mounts_below().empty());
  CHECK(fs::is_empty(tmp.path / "root"));
}

TEST_CASE("rootfs::setup errors name the spec field", "[integration]") {
  if (!root()) return;
  TempDir tmp;
  fs::path rootfs = tmp.path / "rootfs";
  build_busybox_root(rootfs);
  ContainerSpec spec;
  spec.root.path = rootfs;

  SECTION("bad tmpfs option") {
    spec.mounts = {mount("/proc", "proc", "proc", {}),
                   mount("/tmp", "tmpfs", "tmpfs", {"size=lots"})};
    Outcome out = run_in_container(spec, {}, [](int) { return 0; });
    INFO(out.messages);
    CHECK(out.status == 2);
    CHECK(out.messages.find("mounts[1]") != std::string::npos);
    CHECK(out.messages.find("size=lots") != std::string::npos);
  }
  SECTION("missing bind source") {
    spec.mounts = {mount("/mnt/x", "bind", (tmp.path / "nope").string(), {"rbind"})};
    Outcome out = run_in_container(spec, {}, [](int) { return 0; });
    INFO(out.messages);
    CHECK(out.status == 2);
    CHECK(out.messages.find("mounts[0].source") != std::string::npos);
  }
  SECTION("block device node") {
    // This host's device policy may refuse block nodes; either the node is made exactly,
    // or the error names linux.devices[0].
    vcrun::DeviceNode loop{"/dev/vcrun-loop", 'b', 7, 0, 0600, std::nullopt, std::nullopt};
    spec.linux.devices = {loop};
    Outcome out = run_in_container(spec, {}, [](int report) {
      Checker c{report};
      struct stat st {};
      c.expect(::stat("/dev/vcrun-loop", &st) == 0 && S_ISBLK(st.st_mode) &&
                   st.st_rdev == makedev(7, 0) && (st.st_mode & 0777) == 0600,
               "block node made as asked");
      return c.failures ? 1 : 0;
    });
    INFO(out.messages);
    if (out.status == 2) {
      CHECK(out.messages.find("linux.devices[0]") != std::string::npos);
    } else {
      CHECK(out.status == 0);
    }
  }
  CHECK(tmp.host_mounts_below().empty());
}

TEST_CASE("rootfs::setup in a user namespace binds device nodes", "[integration]") {
  if (!root()) return;
  TempDir tmp;
  fs::path rootfs = tmp.path / "rootfs";
  build_busybox_root(rootfs);
  ContainerSpec spec;
  spec.root.path = rootfs;
  spec.root.readonly = true;
  spec.mounts = {mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
                 mount("/sys", "sysfs", "sysfs", {"ro"})};
  spec.linux.masked_paths = {"/etc/secret"};
  spec.linux.readonly_paths = {"/proc/sys"};

  SECTION("default devices are bound from the host") {
    Outcome out = run_in_container(
        spec, {},
        [](int report) {
          Checker c{report};
          struct stat st {};
          c.expect(::stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode) &&
                       st.st_rdev == makedev(1, 3),
                   "/dev/null is the host's null device");
          c.expect(open_errno("/dev/null", O_WRONLY) == 0, "/dev/null writable");
          c.expect(slurp("/etc/secret").empty(), "masked file reads empty");
          c.expect(open_errno("/proc/sys/kernel/hostname", O_WRONLY) == EROFS ||
                       open_errno("/proc/sys/kernel/hostname", O_WRONLY) == EACCES,
                   "/proc/sys not writable");
          c.expect(::mkdir("/x", 0755) != 0 && errno == EROFS, "read-only root");
          return c.failures ? 1 : 0;
        },
        true);
    INFO(out.messages);
    CHECK(out.messages.empty());
    CHECK(out.status == 0);
  }
  SECTION("a block device the host lacks is a clear error") {
    spec.linux.devices = {
        vcrun::DeviceNode{"/dev/vcrun-no-such-disk", 'b', 7, 200, 0600, std::nullopt, std::nullopt}};
    Outcome out = run_in_container(spec, {}, [](int) { return 0; }, true);
    INFO(out.messages);
    CHECK(out.status == 2);
    CHECK(out.messages.find("linux.devices[0] \"/dev/vcrun-no-such-disk\" (block 7:200)") !=
          std::string::npos);
  }
  CHECK(tmp.host_mounts_below().empty());
}

TEST_CASE("rootfs::setup with the default spec of `vcrun spec`", "[integration]") {
  if (!root()) return;
  TempDir tmp;
  build_busybox_root(tmp.path / "rootfs");
  ContainerSpec spec = vcrun::parse_spec(vcrun::default_spec_json(), tmp.path.string());
  Outcome out = run_in_container(
      spec, {},
      [](int report) {
        Checker c{report};
        struct stat st {};
        c.expect(::stat("/proc/self/status", &st) == 0, "/proc is mounted");
        c.expect(::stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0, "cgroup2 is mounted");
        c.expect(open_errno("/sys/fs/cgroup/cgroup.procs", O_WRONLY) == EROFS, "cgroup2 is ro");
        c.expect(::stat("/sys/class/net/lo", &st) == 0, "sysfs of the container's netns");
        c.expect(::stat("/sys/class/net/eth0", &st) != 0, "no host interfaces in sysfs");
        c.expect(::stat("/dev/pts/ptmx", &st) == 0, "/dev/pts from the spec");
        c.expect(::stat("/dev/shm", &st) == 0 && (st.st_mode & 07777) == 01777, "/dev/shm 1777");
        c.expect(open_errno("/proc/sys/kernel/hostname", O_WRONLY) == EROFS, "/proc/sys ro");
        c.expect(::mkdir("/x", 0755) != 0 && errno == EROFS, "root.readonly");
        c.expect(open_errno("/dev/null", O_WRONLY) == 0, "/dev/null works");
        return c.failures ? 1 : 0;
      },
      false, CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWCGROUP);
  INFO(out.messages);
  CHECK(out.messages.empty());
  CHECK(out.status == 0);
  CHECK(tmp.host_mounts_below().empty());
}
