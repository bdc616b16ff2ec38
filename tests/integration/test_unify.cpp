// Integration: `vcrun unify` on real trees the tests build, and containers on unified
// trees (copy-on-write overlay, refusal of a writable way around it), through the CLI.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "integration/unify_util.hpp"
#include "support/harness.hpp"

using namespace vcrun::test;
namespace fs = std::filesystem;
using nlohmann::json;
using namespace vcrun::test::unify_util;

namespace {

// A v2 security.capability granting cap_net_raw (permitted, effective).
std::string net_raw_capability() {
  uint32_t v[5] = {0x02000000 | 0x1, 1u << 13, 0, 0, 0};
  return std::string(reinterpret_cast<const char*>(v), sizeof v);
}

// system.posix_acl_access: user::rw- user:1000:r-- group::r-- mask::r-- other::r--, so the
// mode bits stay 0644 and only the ACL tells the file apart.
std::string acl_user_1000() {
  std::string a;
  auto put32 = [&](uint32_t x) { a.append(reinterpret_cast<const char*>(&x), 4); };
  auto entry = [&](uint16_t tag, uint16_t perm, uint32_t id) {
    a.append(reinterpret_cast<const char*>(&tag), 2);
    a.append(reinterpret_cast<const char*>(&perm), 2);
    put32(id);
  };
  put32(2);
  entry(0x01, 6, 0xffffffff);
  entry(0x02, 4, 1000);
  entry(0x04, 4, 0xffffffff);
  entry(0x10, 4, 0xffffffff);
  entry(0x20, 4, 0xffffffff);
  return a;
}

int count_temporaries(const fs::path& root, bool& more_than_one_in_a_dir) {
  int total = 0;
  more_than_one_in_a_dir = false;
  for (auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_directory()) continue;
    int here = 0;
    for (auto& f : fs::directory_iterator(e.path()))
      if (f.path().filename().string().rfind(".vcrun-unify", 0) == 0) ++here;
    if (here > 1) more_than_one_in_a_dir = true;
    total += here;
  }
  return total;
}

}  // namespace

TEST_CASE("unify links identical files and leaves every other kind alone", "[integration]") {
  if (!is_root()) {
    WARN("SKIP: needs root (owners, capabilities, devices)");
    return;
  }
  auto dir = fresh_dir("links");
  fs::path t1 = dir / "t1", t2 = dir / "t2", t3 = dir / "t3";
  std::string text = "the same bytes in every tree\n";
  for (auto t : {t1, t2, t3}) {
    write_text(t / "etc/same", text);
    write_text(t / "etc/content", "differs in tree " + t.filename().string() + "\n");  // same size
    // Each kind its own content, so that only the trait under test tells them apart.
    write_text(t / "etc/mode", text + "mode", t == t2 ? 0755 : 0644);
    write_text(t / "etc/owner", text + "owner");
    if (t == t2) REQUIRE(::chown((t / "etc/owner").c_str(), 1000, 1000) == 0);
    write_text(t / "etc/xattr", text + "xattr");
    write_text(t / "etc/cap", text + "cap");
    write_text(t / "etc/acl", text + "acl");
    write_text(t / "etc/empty", "");
    fs::create_symlink("same", t / "etc/link");
    REQUIRE(::mkfifo((t / "etc/fifo").c_str(), 0644) == 0);
    REQUIRE(::mknod((t / "etc/null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0);
    REQUIRE(::mknod((t / "etc/sock").c_str(), S_IFSOCK | 0644, 0) == 0);
  }
  REQUIRE(::setxattr((t2 / "etc/xattr").c_str(), "user.tag", "x", 1, 0) == 0);
  auto cap = net_raw_capability();
  REQUIRE(::setxattr((t2 / "etc/cap").c_str(), "security.capability", cap.data(), cap.size(), 0) == 0);
  auto acl = acl_user_1000();
  REQUIRE(::setxattr((t2 / "etc/acl").c_str(), "system.posix_acl_access", acl.data(), acl.size(), 0) == 0);
  REQUIRE((lstat_of(t2 / "etc/acl").st_mode & 07777) == 0644);
  // Within one tree, and an existing pair of links that must stay one inode.
  write_text(t1 / "usr/copy-of-same", text);
  write_text(t1 / "lib/h1", "hard linked\n");
  fs::create_hard_link(t1 / "lib/h1", t1 / "lib/h2");
  write_text(t2 / "lib/h", "hard linked\n");
  std::map<std::string, std::string> contents;
  for (auto& e : fs::recursive_directory_iterator(dir))
    if (fs::is_regular_file(fs::symlink_status(e.path())))
      contents[e.path().string()] = read_text(e.path());

  auto r = unify_json({"--index", (dir / "index").string(), t1.string(), t2.string(), t3.string()});
  INFO(r.dump());
  // same: t1, t2, t3, t1/usr/copy (3 links); every other file differs somewhere but in the
  // two trees where it is equal (t1 and t3: mode, owner, xattr, cap, acl: 5 links); h: 1.
  CHECK(r["links_made"] == 3 + 5 + 1);
  CHECK(r["inodes_saved"] == 3 + 5 + 1);
  CHECK(same_inode(t1 / "etc/same", t2 / "etc/same"));
  CHECK(same_inode(t1 / "etc/same", t3 / "etc/same"));
  CHECK(same_inode(t1 / "etc/same", t1 / "usr/copy-of-same"));
  CHECK(lstat_of(t1 / "etc/same").st_nlink == 4);
  for (const char* f : {"etc/content", "etc/mode", "etc/owner", "etc/xattr", "etc/cap", "etc/acl"}) {
    INFO(f);
    CHECK_FALSE(same_inode(t1 / f, t2 / f));
    CHECK_FALSE(same_inode(t3 / f, t2 / f));
  }
  for (const char* f : {"etc/mode", "etc/owner", "etc/xattr", "etc/cap", "etc/acl"}) {
    INFO(f);
    CHECK(same_inode(t1 / f, t3 / f));  // the control: equal where nothing differs
  }
  CHECK_FALSE(same_inode(t1 / "etc/content", t3 / "etc/content"));
  CHECK_FALSE(same_inode(t1 / "etc/empty", t2 / "etc/empty"));  // empty: only with --min-size 0
  for (const char* f : {"etc/link", "etc/fifo", "etc/null", "etc/sock"}) {
    INFO(f);
    CHECK_FALSE(same_inode(t1 / f, t2 / f));
    CHECK((lstat_of(t1 / f).st_mode & S_IFMT) == (lstat_of(t2 / f).st_mode & S_IFMT));
    CHECK(lstat_of(t1 / f).st_nlink == 1);
  }
  CHECK(fs::is_symlink(t1 / "etc/link"));
  CHECK(same_inode(t1 / "lib/h1", t1 / "lib/h2"));  // the existing link kept ...
  CHECK(same_inode(t1 / "lib/h1", t2 / "lib/h"));   // ... and the pair is the keeper
  // Every path still has its content, mode, owner and xattrs.
  for (auto& [path, text] : contents) {
    INFO(path);
    CHECK(read_text(path) == text);
  }
  char c;
  CHECK(::getxattr((t2 / "etc/cap").c_str(), "security.capability", nullptr, 0) == static_cast<ssize_t>(cap.size()));
  CHECK(::getxattr((t2 / "etc/xattr").c_str(), "user.tag", &c, 1) == 1);
  CHECK(lstat_of(t2 / "etc/owner").st_uid == 1000);
  for (auto t : {t1, t2, t3}) CHECK(::getxattr(t.c_str(), "trusted.vcrun.unified", &c, 1) >= 0);

  // Empty files with --min-size 0.
  unify_json({"--min-size", "0", "--index", (dir / "index").string(), t1.string(), t2.string(), t3.string()});
  CHECK(same_inode(t1 / "etc/empty", t2 / "etc/empty"));
  CHECK(same_inode(t1 / "etc/empty", t3 / "etc/empty"));
}

TEST_CASE("unify never links across file systems", "[integration]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  auto dir = fresh_dir("xdev");
  fs::path shm = fs::path("/dev/shm") / ("vcrun-unify-" + unique_id("xdev"));
  struct stat a {}, b {};
  if (::stat("/dev/shm", &b) != 0 || ::stat(dir.c_str(), &a) != 0 || a.st_dev == b.st_dev) {
    WARN("SKIP: /dev/shm is not another file system here");
    return;
  }
  std::string text(4096, 'z');
  write_text(dir / "t/file", text);
  write_text(dir / "t/twin", text);
  write_text(shm / "file", text);
  auto r = unify_json({"--index", (dir / "index").string(), (dir / "t").string(), shm.string()});
  CHECK(r["links_made"] == 1);  // the twin in the same file system
  CHECK(same_inode(dir / "t/file", dir / "t/twin"));
  CHECK(lstat_of(shm / "file").st_nlink == 1);
  CHECK(read_text(shm / "file") == text);
  fs::remove_all(shm);
}

TEST_CASE("unify --dry-run changes nothing", "[integration]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  auto dir = fresh_dir("dry");
  for (int t = 0; t < 3; ++t)
    for (int f = 0; f < 20; ++f) write_text(dir / ("t" + std::to_string(t)) / ("f" + std::to_string(f)), std::string(100 + f, 'a' + f % 3));
  ::close(::open((dir / "t0" / ".vcrun-unify.tmp").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
  auto before = snapshot(dir);
  auto r = unify_json({"--dry-run", "--index", (dir / "index").string(), (dir / "t0").string(),
                       (dir / "t1").string(), (dir / "t2").string()});
  CHECK(r["dry_run"] == true);
  CHECK(r["links_made"] == 40);  // what it would do
  CHECK(r["temporaries_removed"] == 1);
  CHECK(snapshot(dir) == before);  // inodes, link counts, modes, ctimes, contents
  CHECK_FALSE(fs::exists(dir / "index"));
  char c;
  CHECK(::getxattr((dir / "t0").c_str(), "trusted.vcrun.unified", &c, 1) < 0);
}

TEST_CASE("unify's second run hashes only new or changed files", "[integration]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  auto dir = fresh_dir("incr");
  std::vector<std::string> trees;
  // Five contents of one size in three trees, plus one file of that size only in t0.
  for (int t = 0; t < 3; ++t) {
    fs::path tree = dir / ("t" + std::to_string(t));
    trees.push_back(tree.string());
    for (int f = 0; f < 5; ++f) write_text(tree / ("f" + std::to_string(f)), std::string(1000, 'a' + f));
  }
  write_text(dir / "t0/solo", std::string(1000, 'z'));
  std::vector<std::string> args{"--index", (dir / "index").string()};
  args.insert(args.end(), trees.begin(), trees.end());

  auto first = unify_json(args);
  CHECK(first["files_hashed"] == 16);
  CHECK(first["links_made"] == 10);
  auto second = unify_json(args);
  CHECK(second["files_hashed"] == 0);
  CHECK(second["index_hits"] == 6);  // the five keepers and solo: nothing changed
  CHECK(second["links_made"] == 0);

  // One file changed in place, one new copy of an existing one.
  write_text(dir / "t0/solo", std::string(1000, 'y'));
  write_text(dir / "t2/new", std::string(1000, 'c'));
  auto third = unify_json(args);
  CHECK(third["files_hashed"] == 2);
  CHECK(third["index_hits"] == 5);
  CHECK(third["links_made"] == 1);
  CHECK(same_inode(dir / "t2/new", dir / "t0/f2"));
  CHECK(read_text(dir / "t0/solo") == std::string(1000, 'y'));
}

TEST_CASE("unify killed at random points leaves every file's content intact", "[integration]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  auto dir = fresh_dir("kill");
  std::map<std::string, std::string> expect;
  auto build = [&] {
    fs::remove_all(dir / "trees");
    expect.clear();
    for (int t = 0; t < 3; ++t)
      for (int d = 0; d < 6; ++d)
        for (int f = 0; f < 16; ++f) {
          fs::path p = dir / "trees" / ("t" + std::to_string(t)) / ("d" + std::to_string(d)) / ("f" + std::to_string(f));
          // Most files repeat across trees; every seventh is this tree's own.
          std::string text = std::string(2000 + f, 'a' + (d + f) % 26) + ((f % 7 == 0) ? std::to_string(t) : "");
          write_text(p, text);
          expect[p.string()] = text;
        }
  };
  auto check = [&](int round) {
    INFO("round " << round);
    for (auto& [p, text] : expect) {
      INFO(p);
      REQUIRE(read_text(p) == text);
    }
    bool crowded = false;
    count_temporaries(dir / "trees", crowded);
    REQUIRE_FALSE(crowded);
  };
  std::vector<std::string> argv{vcrun_binary(), "unify", "--index", (dir / "index").string(), "--jobs", "2"};
  for (int t = 0; t < 3; ++t) argv.push_back((dir / "trees" / ("t" + std::to_string(t))).string());
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  auto spawn = [&] {
    pid_t pid = ::fork();
    if (pid == 0) {
      int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::execv(cargv[0], cargv.data());
      ::_exit(127);
    }
    return pid;
  };
  // One uninterrupted run on fresh trees tells how long a run takes here.
  build();
  auto t0 = std::chrono::steady_clock::now();
  int status = 0;
  ::waitpid(spawn(), &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  auto full = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
  check(-1);

  std::mt19937 rng(std::random_device{}());
  int killed_mid_run = 0, killed_while_linking = 0;
  int round = 0;
  // Until 50 runs were killed before they finished (a run that ends first does not count).
  for (; killed_mid_run < 50 && round < 200; ++round) {
    // Fresh trees every third round; in between the kill lands on a half-unified state.
    if (round % 3 == 0) build();
    std::uniform_int_distribution<long> at(0, full * 4 / 5);
    pid_t pid = spawn();
    std::this_thread::sleep_for(std::chrono::microseconds(at(rng)));
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) ++killed_mid_run;
    check(round);
    if (round % 3 == 0) {  // how far the killed run got on fresh trees
      int linked = 0, pairs = 0;
      for (int d = 0; d < 6; ++d)
        for (int f = 1; f < 16; ++f, ++pairs)
          linked += same_inode(dir / "trees/t0" / ("d" + std::to_string(d)) / ("f" + std::to_string(f)),
                               dir / "trees/t1" / ("d" + std::to_string(d)) / ("f" + std::to_string(f)));
      if (linked > 0 && linked < pairs) ++killed_while_linking;
    }
  }
  if (std::getenv("VCRUN_UNIFY_KILL_STATS"))
    std::printf("%d runs killed mid-run in %d rounds, %d of %d fresh rounds in the link phase\n",
                killed_mid_run, round, killed_while_linking, (round + 2) / 3);
  REQUIRE(killed_mid_run == 50);
  // A last run finishes the job and removes what the kills left.
  unify_json({"--index", (dir / "index").string(), (dir / "trees/t0").string(),
                       (dir / "trees/t1").string(), (dir / "trees/t2").string()});
  check(50);
  bool crowded = false;
  CHECK(count_temporaries(dir / "trees", crowded) == 0);
  CHECK(same_inode(dir / "trees/t0/d3/f1", dir / "trees/t2/d3/f1"));
  CHECK_FALSE(same_inode(dir / "trees/t0/d3/f0", dir / "trees/t2/d3/f0"));
}
