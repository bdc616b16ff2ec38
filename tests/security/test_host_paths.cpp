// [security] Host paths vcrun creates or changes on behalf of the caller (--upper, --log,
// --root), with a hostile writer of the directory holding them: a name swapped for a
// symlink must be refused in one line, never followed into another directory (issue 22,
// item 5). Every path here is in the tests' own scratch directory.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/harness.hpp"

namespace fs = std::filesystem;
using namespace vcrun::test;

namespace {

// A fresh scratch directory of this test binary.
std::string scratch(const std::string& tag) {
  std::string d = work_dir() + "/host-paths-" + unique_id(tag);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

unsigned mode_of(const std::string& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

std::string read_text(const std::string& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

void make_dir(const std::string& p, unsigned mode) {
  REQUIRE(::mkdir(p.c_str(), mode) == 0);
  REQUIRE(::chmod(p.c_str(), mode) == 0);  // whatever the umask
}

bool one_line(const std::string& err) { return !err.empty() && err.find('\n') == err.size() - 1; }

}  // namespace

TEST_CASE("an --upper whose name is a symlink to another directory is refused, that directory untouched",
          "[security]") {
  const std::string d = scratch("upper-link");
  make_dir(d + "/parent", 0755);
  make_dir(d + "/victim", 0755);
  // The "swap won" state of the race: the upper's name is a symlink by the time vcrun uses it.
  REQUIRE(::symlink("../victim", (d + "/parent/up").c_str()) == 0);

  // CONTROL: acting by path, as vcrun did (mkdir, chmod), lands in the other directory.
  REQUIRE(::mkdir((d + "/parent/up/upper").c_str(), 0700) == 0);
  CHECK(fs::is_directory(d + "/victim/upper"));
  fs::remove(d + "/victim/upper");

  auto r = run_vcrun({"run", "--rm", "--rootfs", busybox_rootfs(), "--upper", d + "/parent/up", "--", "true"});
  INFO(r.err);
  CHECK(r.status != 0);
  CHECK(one_line(r.err));
  CHECK(r.err.find("vcrun.upper: " + d + "/parent/up is a symbolic link") != std::string::npos);
  CHECK(mode_of(d + "/victim") == 0755);
  CHECK(!fs::exists(d + "/victim/upper"));
  CHECK(!fs::exists(d + "/victim/work"));

  // The same name as a real directory: used, and the upper made inside it (0700 work).
  fs::remove(d + "/parent/up");
  auto ok = run_vcrun({"run", "--rm", "--rootfs", busybox_rootfs(), "--upper", d + "/parent/up", "--", "sh", "-c",
                       "echo kept > /kept"});
  INFO(ok.err);
  CHECK(ok.status == 0);
  CHECK(read_text(d + "/parent/up/upper/kept") == "kept\n");
  CHECK(mode_of(d + "/parent/up/work") == 0700);
  fs::remove_all(d);
}

TEST_CASE("an --upper below a symlink in a directory others can write is refused", "[security]") {
  const std::string d = scratch("upper-mid-link");
  make_dir(d + "/shared", 01777);  // like /tmp: anyone can add names
  make_dir(d + "/victim", 0755);
  REQUIRE(::symlink("../victim", (d + "/shared/link").c_str()) == 0);

  // CONTROL: mkdir -p through the link (what vcrun's make_dirs did) makes the directory in
  // the other directory, which vcrun then chmod'ed to 0700.
  fs::create_directories(d + "/shared/link/probe");
  CHECK(fs::is_directory(d + "/victim/probe"));
  fs::remove(d + "/victim/probe");

  auto r = run_vcrun({"run", "--rm", "--rootfs", busybox_rootfs(), "--upper", d + "/shared/link/up", "--", "true"});
  INFO(r.err);
  CHECK(r.status != 0);
  CHECK(one_line(r.err));
  CHECK(r.err.find("vcrun.upper: " + d + "/shared/link is a symbolic link in a directory others than root can change") !=
        std::string::npos);
  CHECK(!fs::exists(d + "/victim/up"));
  CHECK(mode_of(d + "/victim") == 0755);
  fs::remove_all(d);
}

TEST_CASE("a --log naming a symlink or a second name of another file is refused, that file untouched",
          "[security]") {
  const std::string d = scratch("log-link");
  make_dir(d + "/logs", 01777);
  { std::ofstream(d + "/precious") << "precious\n"; }
  REQUIRE(::symlink((d + "/precious").c_str(), (d + "/logs/vcrun.log").c_str()) == 0);

  // CONTROL: an append by path (what vcrun did) writes into the other file.
  {
    int fd = ::open((d + "/logs/vcrun.log").c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    REQUIRE(fd >= 0);
    CHECK(::write(fd, "line\n", 5) == 5);
    ::close(fd);
    CHECK(read_text(d + "/precious") == "precious\nline\n");
    std::ofstream(d + "/precious") << "precious\n";
  }

  auto r = run({vcrun_binary(), "--root", runtime_root(), "--log", d + "/logs/vcrun.log", "state", "no-such"});
  INFO(r.err);
  CHECK(r.status == 1);
  CHECK(r.err == "vcrun: --log: " + d + "/logs/vcrun.log is a symbolic link: refusing it\n");
  CHECK(read_text(d + "/precious") == "precious\n");

  // A hard link (another name of the same file) is refused as well.
  fs::remove(d + "/logs/vcrun.log");
  REQUIRE(::link((d + "/precious").c_str(), (d + "/logs/vcrun.log").c_str()) == 0);
  auto h = run({vcrun_binary(), "--root", runtime_root(), "--log", d + "/logs/vcrun.log", "state", "no-such"});
  INFO(h.err);
  CHECK(h.status == 1);
  CHECK(h.err == "vcrun: --log: " + d + "/logs/vcrun.log has more than one name (a hard link): refusing it\n");
  CHECK(read_text(d + "/precious") == "precious\n");

  // A plain file there is written as before.
  fs::remove(d + "/logs/vcrun.log");
  auto ok = run({vcrun_binary(), "--root", runtime_root(), "--log", d + "/logs/vcrun.log", "state", "no-such"});
  CHECK(ok.status == 1);
  CHECK(read_text(d + "/logs/vcrun.log").find("container no-such does not exist") != std::string::npos);
  fs::remove_all(d);
}

TEST_CASE("a --root naming a symlink to another directory is refused", "[security]") {
  const std::string d = scratch("root-link");
  make_dir(d + "/victim", 0755);
  REQUIRE(::symlink("victim", (d + "/state").c_str()) == 0);
  // CONTROL: the link leads into the other directory.
  CHECK(fs::is_directory(d + "/state/."));

  auto r = run({vcrun_binary(), "--root", d + "/state", "list"});
  INFO(r.err);
  CHECK(r.status == 1);
  CHECK(r.err == "vcrun: --root: " + d + "/state is a symbolic link: refusing it (name the directory itself)\n");
  fs::remove_all(d);
}
