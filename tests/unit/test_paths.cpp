// Unit tests for safe path resolution inside a root (runtime/paths).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>

#include "base/fs_util.hpp"
#include "base/openat2.hpp"
#include "runtime/rootfs/paths.hpp"
#include "vcrun/error.hpp"

namespace fs = std::filesystem;
using vcrun::UniqueFd;
using namespace vcrun::paths;

namespace {

// A temp directory holding root/ (the fake container root) and outside/ (a host dir that
// must never be reached through root/). Removed on destruction.
struct TempTree {
  fs::path base, root, outside;
  TempTree() {
    std::random_device rd;
    base = fs::temp_directory_path() / ("vcrun-paths-" + std::to_string(rd()));
    root = base / "root";
    outside = base / "outside";
    fs::create_directories(root / "etc");
    fs::create_directories(root / "tmp");
    fs::create_directories(root / "outside");
    fs::create_directories(outside);
  }
  ~TempTree() {
    std::error_code ec;
    fs::remove_all(base, ec);
  }
  UniqueFd root_fd() const {
    return UniqueFd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  }
};

bool under(const std::string& p, const fs::path& dir) {
  std::string d = fs::canonical(dir).string();
  return p == d || p.rfind(d + "/", 0) == 0;
}

}  // namespace

TEST_CASE("clean_path normalises lexically", "[unit]") {
  CHECK(clean_path("a//b/../c") == "/a/c");
  CHECK(clean_path("/") == "/");
  CHECK(clean_path("") == "/");
  CHECK(clean_path("/../../etc") == "/etc");
  CHECK(clean_path("/proc/./sys/") == "/proc/sys");
  CHECK(clean_path("/a/b/c/../../d") == "/a/d");
  CHECK(clean_path("relative/x") == "/relative/x");
  CHECK(clean_path("/dev//pts///") == "/dev/pts");
}

TEST_CASE("open_in_root keeps absolute symlinks inside the root", "[unit]") {
  TempTree t;
  fs::create_symlink("/../../../../tmp", t.root / "etc" / "x");
  UniqueFd root = t.root_fd();
  REQUIRE(root);
  UniqueFd fd = open_in_root(root.get(), "/etc/x", O_PATH | O_DIRECTORY);
  REQUIRE(fd);
  std::string p = fd_path(fd.get());
  CHECK(p == fs::canonical(t.root / "tmp").string());
  CHECK(is_inside(fd_path(root.get()), fd.get()));
}

TEST_CASE("open_in_root keeps relative .. symlinks inside the root", "[unit]") {
  TempTree t;
  fs::create_symlink("../../../outside", t.root / "etc" / "y");
  UniqueFd root = t.root_fd();
  UniqueFd fd = open_in_root(root.get(), "/etc/y", O_PATH | O_DIRECTORY);
  REQUIRE(fd);
  std::string p = fd_path(fd.get());
  CHECK(under(p, t.root));
  CHECK(p == fs::canonical(t.root / "outside").string());
  CHECK_FALSE(under(p, t.outside));
}

TEST_CASE("open_in_root reports a missing path with ENOENT", "[unit]") {
  TempTree t;
  UniqueFd root = t.root_fd();
  try {
    open_in_root(root.get(), "/no/such/file", O_PATH);
    FAIL("expected an Error");
  } catch (const vcrun::Error& e) {
    CHECK(e.code() == ENOENT);
    CHECK(std::string(e.what()).find("/no/such/file") != std::string::npos);
  }
}

TEST_CASE("open_in_root refuses magic links", "[unit]") {
  // A procfs fd link would jump wherever the fd points; RESOLVE_NO_MAGICLINKS refuses it.
  TempTree t;
  UniqueFd outside(::open(t.outside.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(outside);
  std::string magic = "/proc/self/fd/" + std::to_string(outside.get());
  fs::create_symlink(magic, t.root / "etc" / "m");
  UniqueFd host_root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  // Through the real "/" (where /proc exists) the magic link itself must be refused.
  CHECK_THROWS_AS(open_in_root(host_root.get(), magic, O_PATH), vcrun::Error);
  // Through the fake root, /proc does not exist at all: still no way out.
  UniqueFd root = t.root_fd();
  CHECK_THROWS_AS(open_in_root(root.get(), "/etc/m", O_PATH), vcrun::Error);
}

TEST_CASE("mkdirs_in_root creates through a symlinked component inside the root", "[unit]") {
  TempTree t;
  fs::create_symlink("/../../../../tmp", t.root / "etc" / "x");
  fs::create_symlink("../../../outside", t.root / "etc" / "y");
  UniqueFd root = t.root_fd();

  UniqueFd a = mkdirs_in_root(root.get(), "/etc/x/new/deeper");
  CHECK(fd_path(a.get()) == fs::canonical(t.root / "tmp" / "new" / "deeper").string());

  UniqueFd b = mkdirs_in_root(root.get(), "/etc/y/made");
  CHECK(fs::is_directory(t.root / "outside" / "made"));
  CHECK_FALSE(fs::exists(t.outside / "made"));
  CHECK(under(fd_path(b.get()), t.root));
}

TEST_CASE("mkdirs_in_root follows dangling symlinks by creating their target inside", "[unit]") {
  TempTree t;
  fs::create_symlink("/../../../elsewhere/sub", t.root / "etc" / "dangling");
  fs::create_symlink("../../../../escape", t.root / "etc" / "dangling2");
  UniqueFd root = t.root_fd();
  UniqueFd a = mkdirs_in_root(root.get(), "/etc/dangling/x");
  CHECK(fs::is_directory(t.root / "elsewhere" / "sub" / "x"));
  UniqueFd b = mkdirs_in_root(root.get(), "/etc/dangling2");
  CHECK(fs::is_directory(t.root / "escape"));
  CHECK_FALSE(fs::exists(t.base / "escape"));
  CHECK_FALSE(fs::exists(t.base.parent_path() / "escape"));
}

TEST_CASE("mkdirs_in_root: .. never climbs above the root, loops fail", "[unit]") {
  TempTree t;
  UniqueFd root = t.root_fd();
  UniqueFd a = mkdirs_in_root(root.get(), "/../../../../made-at-top");
  CHECK(fs::is_directory(t.root / "made-at-top"));
  CHECK(fd_path(a.get()) == fs::canonical(t.root / "made-at-top").string());

  fs::create_symlink("loop2", t.root / "loop1");
  fs::create_symlink("loop1", t.root / "loop2");
  try {
    mkdirs_in_root(root.get(), "/loop1/x");
    FAIL("expected ELOOP");
  } catch (const vcrun::Error& e) {
    CHECK(e.code() == ELOOP);
  }

  // A regular file in the middle of the path is not a directory.
  { UniqueFd f(::open((t.root / "file").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644)); }
  CHECK_THROWS_AS(mkdirs_in_root(root.get(), "/file/x"), vcrun::Error);
}

TEST_CASE("mkdirs_in_root_no_symlinks refuses any symlink on the way and creates nothing past it",
          "[unit]") {
  TempTree t;
  UniqueFd root = t.root_fd();
  // A plain path: made, and the same directory on a second call.
  UniqueFd fd = mkdirs_in_root_no_symlinks(root.get(), "/proc");
  REQUIRE(fd);
  CHECK(fd_path(fd.get()) == fs::canonical(t.root / "proc").string());
  CHECK(mkdirs_in_root_no_symlinks(root.get(), "/proc"));
  // The last component a link (existing or dangling target), or a link above it: ELOOP.
  fs::create_symlink("/tmp/fakesys", t.root / "sys");
  fs::create_symlink("/etc", t.root / "run");
  fs::create_directories(t.root / "tmp" / "fakeproc");
  fs::create_symlink("/tmp/fakeproc", t.root / "proc2");
  for (const char* path : {"/sys", "/run/proc", "/proc2"}) {
    INFO(path);
    try {
      mkdirs_in_root_no_symlinks(root.get(), path);
      FAIL("a symlink on the way was followed");
    } catch (const vcrun::Error& e) {
      CHECK(e.code() == ELOOP);
    }
  }
  CHECK(!fs::exists(t.root / "tmp" / "fakesys"));
  CHECK(!fs::exists(t.root / "etc" / "proc"));
  // Control: the ordinary creator follows the same link (inside the root).
  UniqueFd followed = mkdirs_in_root(root.get(), "/sys");
  CHECK(fs::is_directory(t.root / "tmp" / "fakesys"));
  // A file where a directory must be: ENOTDIR.
  { std::ofstream(t.root / "etc" / "file"); }
  try {
    mkdirs_in_root_no_symlinks(root.get(), "/etc/file");
    FAIL("a file was taken for a directory");
  } catch (const vcrun::Error& e) {
    CHECK(e.code() == ENOTDIR);
  }
}

TEST_CASE("create_file_in_root makes an empty file mount point inside the root", "[unit]") {
  TempTree t;
  fs::create_symlink("../../../outside/hostname", t.root / "etc" / "hostname");
  UniqueFd root = t.root_fd();
  UniqueFd f = create_file_in_root(root.get(), "/etc/hostname");
  CHECK(fs::is_regular_file(t.root / "outside" / "hostname"));
  CHECK_FALSE(fs::exists(t.outside / "hostname"));
  struct stat st {};
  REQUIRE(::fstat(f.get(), &st) == 0);
  CHECK(S_ISREG(st.st_mode));

  // An existing file is reused, not recreated.
  UniqueFd g = create_file_in_root(root.get(), "/etc/hostname");
  struct stat st2 {};
  REQUIRE(::fstat(g.get(), &st2) == 0);
  CHECK(st2.st_ino == st.st_ino);

  UniqueFd n = create_file_in_root(root.get(), "/new/dir/file");
  CHECK(fs::is_regular_file(t.root / "new" / "dir" / "file"));
}

TEST_CASE("path_within is lexical containment by whole components", "[unit]") {
  using vcrun::path_within;
  CHECK(path_within("/a", "/a"));
  CHECK(path_within("/a/b", "/a"));
  CHECK(path_within("/a/b", "/a/"));
  CHECK(path_within("/a/", "/a"));
  CHECK(path_within("/a", "/"));
  CHECK(path_within("/", "/"));
  CHECK_FALSE(path_within("/ab", "/a"));
  CHECK_FALSE(path_within("/a", "/a/b"));
  CHECK_FALSE(path_within("/b", "/a"));
  CHECK_FALSE(path_within("/a", ""));
}

TEST_CASE("openat2_fd opens beneath a root and refuses to leave it", "[unit]") {
  TempTree t;
  UniqueFd root(::open(t.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(root);
  UniqueFd ok = vcrun::openat2_fd(root.get(), "etc", O_PATH | O_DIRECTORY, RESOLVE_BENEATH);
  CHECK(ok);
  CHECK((::fcntl(ok.get(), F_GETFD) & FD_CLOEXEC));
  UniqueFd out = vcrun::openat2_fd(root.get(), "../outside", O_PATH, RESOLVE_BENEATH);
  CHECK_FALSE(out);
  CHECK(errno == EXDEV);
}
