// [security] `vcrun unify`'s arguments and the ways around a unified tree's overlay: a DIR
// reached through a symlink, an --index that is a FIFO or sits in a missing directory,
// out-of-range numbers, and a writable bind or root of a directory that HOLDS unified trees.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/harness.hpp"

using namespace vcrun::test;
namespace fs = std::filesystem;

namespace {

constexpr const char* kMark = "trusted.vcrun.unified";
const std::string kShared = "one inode for every tree\n";

fs::path scratch(const std::string& tag) {
  fs::path p = fs::path(work_dir()) / "unify-guard" / unique_id(tag);
  fs::remove_all(p);
  fs::create_directories(p);
  return fs::canonical(p);
}

void write_text(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::trunc) << text;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct stat lstat_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st;
}

bool same_inode(const fs::path& a, const fs::path& b) {
  auto x = lstat_of(a), y = lstat_of(b);
  return x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

bool marked(const fs::path& dir) {
  char c;
  return ::lgetxattr(dir.c_str(), kMark, &c, 1) >= 0 || errno == ERANGE;
}

// The error vcrun printed is one line (a trailing newline aside).
bool one_line(const std::string& err) {
  std::string e = err;
  while (!e.empty() && e.back() == '\n') e.pop_back();
  return !e.empty() && e.find('\n') == std::string::npos;
}

Result unify(std::vector<std::string> args) {
  args.insert(args.begin(), {"unify", "--format", "json"});
  return run_vcrun(args);
}

// VCRUN_UNIFY_INDEX for the vcrun processes a test starts (they inherit the environment),
// so that the runtime reads the tree list of the test's own index, not the host's.
struct IndexEnv {
  explicit IndexEnv(const std::string& index) { ::setenv("VCRUN_UNIFY_INDEX", index.c_str(), 1); }
  ~IndexEnv() { ::unsetenv("VCRUN_UNIFY_INDEX"); }
};

// Two unified trees dir/roots/{a,b} sharing etc/conf, indexed in dir/state/index.
struct UnifiedRoots {
  fs::path dir, roots, index;
  explicit UnifiedRoots(const fs::path& d, const fs::path& roots_dir) : dir(d), roots(roots_dir) {
    fs::create_directories(dir / "state");
    index = dir / "state/index";
    for (auto t : {"a", "b"}) write_text(roots / t / "etc/conf", kShared);
    auto r = unify({"--index", index.string(), (roots / "a").string(), (roots / "b").string()});
    INFO(r.err);
    REQUIRE(r.status == 0);
    REQUIRE(same_inode(roots / "a/etc/conf", roots / "b/etc/conf"));
    REQUIRE(marked(roots / "a"));
  }
};

}  // namespace

TEST_CASE("unify refuses a DIR that is or passes through a symlink", "[security]") {
  if (!is_root()) {
    WARN("SKIP: needs root (trusted.* mark)");
    return;
  }
  fs::path dir = scratch("symlink");
  // trees/c points at a directory the caller did not name; trees/via/t passes through a
  // symlinked component. Both targets hold the same file as the real tree t1.
  write_text(dir / "trees/t1/f", kShared);
  write_text(dir / "elsewhere/f", kShared);
  write_text(dir / "other/t/f", kShared);
  fs::create_symlink(dir / "elsewhere", dir / "trees/c");
  fs::create_symlink(dir / "other", dir / "trees/via");
  std::string index = (dir / "index").string();

  for (const fs::path& arg : {dir / "trees/c", dir / "trees/c/", dir / "trees/via/t"}) {
    INFO(arg);
    auto r = unify({"--index", index, (dir / "trees/t1").string(), arg.string()});
    INFO(r.err);
    CHECK(r.status != 0);
    CHECK(one_line(r.err));
    CHECK(r.err.find("symlink") != std::string::npos);
  }
  // Nothing linked, nothing marked: neither the symlinks' targets nor the real tree.
  CHECK(lstat_of(dir / "elsewhere/f").st_nlink == 1);
  CHECK(lstat_of(dir / "other/t/f").st_nlink == 1);
  CHECK(lstat_of(dir / "trees/t1/f").st_nlink == 1);
  CHECK_FALSE(marked(dir / "elsewhere"));
  CHECK_FALSE(marked(dir / "other/t"));
  CHECK_FALSE(marked(dir / "trees/t1"));

  // CONTROL: named by its real path, the same target is a tree unify links and marks.
  auto r = unify({"--index", index, (dir / "trees/t1").string(), (dir / "elsewhere").string()});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(same_inode(dir / "trees/t1/f", dir / "elsewhere/f"));
  CHECK(marked(dir / "elsewhere"));
}

TEST_CASE("unify refuses a tree that is or holds the index's directory", "[security]") {
  fs::path dir = scratch("indexdir");
  write_text(dir / "t1/f", kShared);
  write_text(dir / "t2/f", kShared);
  fs::create_directories(dir / "state");
  // The tree holds the index's directory, or is it.
  for (const auto& [tree, index] : {std::pair{dir, dir / "state/index"}, std::pair{dir / "t1", dir / "t1/index"}}) {
    INFO(tree << " with " << index);
    auto r = unify({"--dry-run", "--index", index.string(), tree.string(), (dir / "t2").string()});
    INFO(r.err);
    CHECK(r.status != 0);
    CHECK(one_line(r.err));
    CHECK(r.err.find("holds the index's directory") != std::string::npos);
  }
  // CONTROL: the same trees with the index outside them run.
  auto r = unify({"--dry-run", "--index", (dir / "state/index").string(), (dir / "t1").string(), (dir / "t2").string()});
  INFO(r.err);
  CHECK(r.status == 0);
}

TEST_CASE("unify --index naming a FIFO fails at once instead of hanging", "[security]") {
  fs::path dir = scratch("fifo");
  write_text(dir / "t1/f", kShared);
  write_text(dir / "t2/f", kShared);
  REQUIRE(::mkfifo((dir / "index").c_str(), 0600) == 0);
  // timeout(1) bounds the base binary, which blocks in open(2) until a writer comes.
  auto r = run({"/usr/bin/timeout", "10", vcrun_binary(), "--root", runtime_root(), "unify", "--index",
                (dir / "index").string(), (dir / "t1").string(), (dir / "t2").string()});
  INFO(r.err);
  CHECK(r.status != 124);  // timeout's status: it hung
  CHECK(r.status != 0);
  CHECK(one_line(r.err));
  CHECK(r.err.find("not a regular file") != std::string::npos);
  CHECK(lstat_of(dir / "t1/f").st_nlink == 1);
  CHECK_FALSE(marked(dir / "t1"));

  // A symlink as the index is not followed either.
  fs::remove(dir / "index");
  write_text(dir / "target", "not an index");
  fs::create_symlink(dir / "target", dir / "index");
  r = unify({"--index", (dir / "index").string(), (dir / "t1").string(), (dir / "t2").string()});
  INFO(r.err);
  CHECK(r.status != 0);
  CHECK(one_line(r.err));
  CHECK(read_text(dir / "target") == "not an index");
  CHECK(lstat_of(dir / "t1/f").st_nlink == 1);
}

TEST_CASE("unify refuses an --index in a missing directory and creates nothing", "[security]") {
  fs::path dir = scratch("missing");
  write_text(dir / "t1/f", kShared);
  write_text(dir / "t2/f", kShared);
  auto r = unify({"--index", (dir / "no/such/index").string(), (dir / "t1").string(), (dir / "t2").string()});
  INFO(r.err);
  CHECK(r.status != 0);
  CHECK(one_line(r.err));
  CHECK(r.err.find("--index") != std::string::npos);
  CHECK(r.err.find("does not exist") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "no"));
  CHECK(lstat_of(dir / "t1/f").st_nlink == 1);
  CHECK_FALSE(marked(dir / "t1"));
}

TEST_CASE("unify refuses out-of-range numbers for --min-size and --jobs", "[security]") {
  fs::path dir = scratch("numbers");
  write_text(dir / "t1/f", kShared);
  write_text(dir / "t2/f", kShared);
  std::string index = (dir / "index").string();
  const std::vector<std::pair<std::string, std::string>> bad{
      {"--min-size", "99999999999999999999999"}, {"--min-size", "18446744073709551616"},
      {"--min-size", "-1"},                      {"--min-size", "1k"},
      {"--jobs", "4294967297"},                  {"--jobs", "99999999999999999999"},
      {"--jobs", "0"},                           {"--jobs", "1025"}};
  for (const auto& [flag, value] : bad) {
    INFO(flag << " " << value);
    auto r = unify({"--index", index, flag, value, (dir / "t1").string(), (dir / "t2").string()});
    INFO(r.err);
    CHECK(r.status != 0);
    CHECK(one_line(r.err));
    CHECK(r.err.find(flag) != std::string::npos);
  }
  CHECK_FALSE(fs::exists(index));
  CHECK(lstat_of(dir / "t1/f").st_nlink == 1);
  CHECK_FALSE(marked(dir / "t1"));
  // CONTROL: in range, the largest values run.
  auto r = unify({"--dry-run", "--index", index, "--min-size", "18446744073709551615", "--jobs", "1024",
                  (dir / "t1").string(), (dir / "t2").string()});
  INFO(r.err);
  CHECK(r.status == 0);
}

TEST_CASE("a writable bind of a directory that holds unified trees is refused", "[security]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  fs::path dir = scratch("bindparent");
  UnifiedRoots u(dir, dir / "roots");
  IndexEnv env(u.index.string());
  write_text(dir / "plain/b/etc/conf", kShared);

  // CONTROL: the same write through a writable bind of a directory holding no unified tree
  // lands on the host.
  auto c = run_vcrun({"run", "--rm", "-v", (dir / "plain").string() + ":/mnt", "--", "sh", "-c",
                      "echo x > /mnt/b/etc/conf"});
  INFO(c.err);
  REQUIRE(c.status == 0);
  REQUIRE(read_text(dir / "plain/b/etc/conf") == "x\n");

  // The parent of the unified trees, and a path above it.
  for (const fs::path& src : {u.roots, dir}) {
    INFO(src);
    auto r = run_vcrun({"run", "--rm", "-v", src.string() + ":/mnt", "--", "sh", "-c",
                        "echo x > /mnt/" + fs::relative(u.roots / "b/etc/conf", src).string()});
    INFO(r.err);
    CHECK(r.status != 0);
    CHECK(one_line(r.err));
    CHECK(r.err.find("mounts[") != std::string::npos);
    CHECK(r.err.find("holds the unified tree") != std::string::npos);
  }
  // The same parent reached by another path: a bind mount of it, in a mount namespace
  // made for this (the path differs, the directory inode does not).
  fs::create_directories(dir / "alias");
  std::string script = "mount --bind '" + u.roots.string() + "' '" + (dir / "alias").string() + "' && exec '" +
                       vcrun_binary() + "' --root '" + runtime_root() + "' run --rm -v '" + (dir / "alias").string() +
                       ":/mnt' -- sh -c 'echo x > /mnt/b/etc/conf'";
  auto alias = run({"/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c", script});
  INFO(alias.err);
  CHECK(alias.status != 0);
  CHECK(alias.err.find("holds the unified tree") != std::string::npos);
  CHECK(read_text(u.roots / "a/etc/conf") == kShared);  // the inode both trees share
  CHECK(same_inode(u.roots / "a/etc/conf", u.roots / "b/etc/conf"));

  // A read-only bind of the parent still works.
  auto ro = run_vcrun({"run", "--rm", "-v", u.roots.string() + ":/mnt:ro", "--", "cat", "/mnt/b/etc/conf"});
  INFO(ro.err);
  CHECK(ro.status == 0);
  CHECK(ro.out == kShared);
}

TEST_CASE("a --rootfs that holds unified trees is refused", "[security]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  fs::path dir = scratch("rootparent");
  // A busybox root whose /a and /b are unified trees.
  fs::path bundle = make_bundle(unique_id("rootparent"), default_config({"true"}));
  fs::path roots = bundle / "rootfs";
  UnifiedRoots u(dir, roots);
  IndexEnv env(u.index.string());

  auto r = run_vcrun({"run", "--rm", "--rootfs", roots.string(), "--", "sh", "-c", "echo x > /b/etc/conf"});
  INFO(r.err);
  CHECK(r.status != 0);
  CHECK(one_line(r.err));
  CHECK(r.err.find("root.path") != std::string::npos);
  CHECK(r.err.find("holds the unified tree") != std::string::npos);
  CHECK(read_text(roots / "a/etc/conf") == kShared);
  CHECK(same_inode(roots / "a/etc/conf", roots / "b/etc/conf"));

  // CONTROL: a unified tree itself as --rootfs runs under the overlay; its write stays private.
  fs::copy(busybox_rootfs(), roots / "a", fs::copy_options::recursive | fs::copy_options::copy_symlinks |
                                              fs::copy_options::skip_existing);
  auto ok = run_vcrun({"run", "--rm", "--rootfs", (roots / "a").string(), "--", "sh", "-c",
                       "echo x > /etc/conf && cat /etc/conf"});
  INFO(ok.err);
  CHECK(ok.status == 0);
  CHECK(ok.out == "x\n");
  CHECK(read_text(roots / "b/etc/conf") == kShared);
}
