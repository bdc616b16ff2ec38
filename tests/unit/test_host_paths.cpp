// Unit: directories and files made through descriptors (base/dir_fd, write_file_atomic)
// against a writer of the directory who planted symlinks and names first.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "base/dir_fd.hpp"
#include "base/fs_util.hpp"
#include "vcrun/error.hpp"

namespace fs = std::filesystem;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/vcrun-unit-hp-XXXXXX";
    REQUIRE(::mkdtemp(t) != nullptr);
    path = t;
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string read_text(const std::string& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const vcrun::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("open_dir_chain makes missing directories and reports the last one made", "[unit]") {
  TempDir t;
  auto d = vcrun::open_dir_chain(t.path + "/a/b/c", 0700, true, "--x");
  CHECK(d.fd);
  CHECK(d.made);
  CHECK(fs::is_directory(t.path + "/a/b/c"));
  auto again = vcrun::open_dir_chain(t.path + "/a/b/c", 0700, true, "--x");
  CHECK(!again.made);
  auto none = error_of([&] { vcrun::open_dir_chain(t.path + "/missing/x", 0700, false, "--x"); });
  CHECK(none == "--x: open " + t.path + "/missing: No such file or directory");
}

TEST_CASE("open_dir_chain refuses a symlink as the last component or in a directory others can write", "[unit]") {
  TempDir t;
  fs::create_directories(t.path + "/victim");
  fs::create_directories(t.path + "/shared");
  ::chmod((t.path + "/shared").c_str(), 01777);
  fs::create_symlink("../victim", t.path + "/shared/link");
  fs::create_symlink("victim", t.path + "/last");
  CHECK(error_of([&] { vcrun::open_dir_chain(t.path + "/last", 0700, true, "--x"); }) ==
        "--x: " + t.path + "/last is a symbolic link: refusing it (name the directory itself)");
  CHECK(error_of([&] { vcrun::open_dir_chain(t.path + "/shared/link/up", 0700, true, "--x"); }) ==
        "--x: " + t.path + "/shared/link is a symbolic link in a directory others than root can change: refusing to "
                           "follow it");
  CHECK(!fs::exists(t.path + "/victim/up"));
  // make_dir_at: an existing symlink is not a directory made or kept.
  auto parent = vcrun::open_dir_chain(t.path, 0700, false, "--x");
  CHECK(error_of([&] { vcrun::make_dir_at(parent.fd.get(), "last", 0700, "--x", "shown"); }) ==
        "--x: shown is a symbolic link: refusing it (name the directory itself)");
}

TEST_CASE("open_dir_chain follows a symlink in a directory only root can change", "[unit]") {
  if (::geteuid() != 0) {
    WARN("SKIP: needs root (a root-owned directory)");
    return;
  }
  TempDir t;  // mkdtemp: 0700, owned by root
  fs::create_directories(t.path + "/real");
  fs::create_symlink("real", t.path + "/alias");
  auto d = vcrun::open_dir_chain(t.path + "/alias/up", 0700, true, "--x");
  CHECK(d.made);
  CHECK(fs::is_directory(t.path + "/real/up"));
}

TEST_CASE("write_file_atomic never writes through a name planted beside the target", "[unit]") {
  TempDir t;
  const std::string target = t.path + "/pid";
  const std::string victim = t.path + "/victim";
  { std::ofstream(victim) << "precious"; }
  // The temp name an earlier vcrun used (<path>.tmp.<pid>) as a second name of another
  // file: a truncating open of it would have written into that file.
  REQUIRE(::link(victim.c_str(), (target + ".tmp." + std::to_string(::getpid())).c_str()) == 0);
  vcrun::write_file_atomic(target, "1234", 0644);
  CHECK(read_text(target) == "1234");
  CHECK(read_text(victim) == "precious");

  // A symlink at the target's own name is replaced, not written through.
  fs::remove(target);
  fs::create_symlink(victim, target);
  vcrun::write_file_atomic(target, "5678", 0644);
  CHECK(!fs::is_symlink(target));
  CHECK(read_text(target) == "5678");
  CHECK(read_text(victim) == "precious");
  // Nothing left behind but the file, the victim and the planted name.
  int n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(t.path)) ++n;
  CHECK(n == 3);
}
