// Unit tests of unify's pure parts: size buckets and splits, metadata equality, the index
// format (lookup, aging, damage), the index's place and the unified-tree list, and the
// crash-safe link step on a scratch directory.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>

#include "base/fd.hpp"
#include "unify/buckets.hpp"
#include "unify/index.hpp"
#include "unify/index_file.hpp"
#include "unify/marker.hpp"
#include "unify/meta.hpp"
#include "unify/scan.hpp"
#include "unify/tree_io.hpp"
#include "unify/tree_list.hpp"
#include "vcrun/error.hpp"

using namespace vcrun;
using namespace vcrun::unify;
namespace fs = std::filesystem;

namespace {

struct Scratch {
  fs::path path;
  Scratch() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("vcrun-unify-unit-" + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path file(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
    return path / name;
  }
};

UniqueFd open_ro(const fs::path& p) { return UniqueFd(::open(p.c_str(), O_RDONLY | O_CLOEXEC)); }

Meta meta_of(const fs::path& p) {
  UniqueFd fd = open_ro(p);
  REQUIRE(fd);
  struct stat st;
  REQUIRE(::fstat(fd.get(), &st) == 0);
  return read_meta(fd.get(), st, p.string());
}

}  // namespace

TEST_CASE("unify: size buckets group by device and size, drop singletons and small files", "[unit]") {
  std::vector<Candidate> c{{1, 10}, {1, 20}, {1, 10}, {2, 10}, {1, 0}, {1, 0}, {2, 10}, {1, 30}};
  auto b = size_buckets(c, 1);
  REQUIRE(b.size() == 2);
  CHECK(b[0] == std::vector<size_t>{0, 2});  // dev 1 size 10; dev 2's size 10 apart
  CHECK(b[1] == std::vector<size_t>{3, 6});
  auto with_empty = size_buckets(c, 0);
  REQUIRE(with_empty.size() == 3);
  CHECK(with_empty[2] == std::vector<size_t>{4, 5});
  CHECK(size_buckets(c, 11).empty());
}

TEST_CASE("unify: splits by hash and by an equivalence keep only classes of two or more", "[unit]") {
  std::vector<uint64_t> hash{7, 8, 7, 9, 8, 7};
  auto by_hash = split_by_key({0, 1, 2, 3, 4, 5}, [&](size_t i) { return hash[i]; });
  REQUIRE(by_hash.size() == 2);
  CHECK(by_hash[0] == std::vector<size_t>{0, 2, 5});
  CHECK(by_hash[1] == std::vector<size_t>{1, 4});
  auto parity = split_by_equal({1, 2, 3, 4, 5}, [](size_t a, size_t b) { return a % 2 == b % 2; });
  REQUIRE(parity.size() == 2);
  CHECK(parity[0] == std::vector<size_t>{1, 3, 5});
  CHECK(parity[1] == std::vector<size_t>{2, 4});
}

TEST_CASE("unify: metadata compares mode, owner and xattrs, not times", "[unit]") {
  Scratch s;
  auto a = s.file("a", "same");
  auto b = s.file("b", "same");
  ::chmod(a.c_str(), 0644);
  ::chmod(b.c_str(), 0644);
  struct timespec old[2] = {{1000, 0}, {1000, 0}};
  REQUIRE(::utimensat(AT_FDCWD, b.c_str(), old, 0) == 0);
  CHECK(meta_of(a) == meta_of(b));  // mtime differs: still equal

  ::chmod(b.c_str(), 0755);
  CHECK_FALSE(meta_of(a) == meta_of(b));
  ::chmod(b.c_str(), 0644);
  CHECK(meta_of(a) == meta_of(b));

  if (::setxattr(b.c_str(), "user.vcrun-test", "x", 1, 0) != 0) {
    WARN("no user xattrs on " << s.path << ": xattr part not checked");
    return;
  }
  CHECK_FALSE(meta_of(a) == meta_of(b));
  REQUIRE(::setxattr(a.c_str(), "user.vcrun-test", "y", 1, 0) == 0);
  CHECK_FALSE(meta_of(a) == meta_of(b));  // same name, other value
  REQUIRE(::setxattr(a.c_str(), "user.vcrun-test", "x", 1, 0) == 0);
  CHECK(meta_of(a) == meta_of(b));
  // Order of setting does not matter: the list is sorted.
  REQUIRE(::setxattr(a.c_str(), "user.z", "1", 1, 0) == 0);
  REQUIRE(::setxattr(a.c_str(), "user.a", "2", 1, 0) == 0);
  REQUIRE(::setxattr(b.c_str(), "user.a", "2", 1, 0) == 0);
  REQUIRE(::setxattr(b.c_str(), "user.z", "1", 1, 0) == 0);
  CHECK(meta_of(a) == meta_of(b));
}

TEST_CASE("unify: the index finds an entry only while dev/ino/size/ctime/mtime match", "[unit]") {
  Index idx;
  idx.put({1, 2, 100, 555, 444, 0xabc, 0});
  CHECK(idx.lookup(1, 2, 100, 555, 444) == 0xabcu);
  CHECK_FALSE(idx.lookup(1, 2, 101, 555, 444));  // size
  CHECK_FALSE(idx.lookup(1, 2, 100, 556, 444));  // ctime: chmod, chown, xattr, write, link
  CHECK_FALSE(idx.lookup(1, 2, 100, 555, 443));  // mtime
  CHECK_FALSE(idx.lookup(1, 3, 100, 555, 444));
  CHECK_FALSE(idx.lookup(9, 2, 100, 555, 444));
  idx.erase(1, 2);
  CHECK_FALSE(idx.lookup(1, 2, 100, 555, 444));
}

TEST_CASE("unify: the index round-trips through its file format", "[unit]") {
  Index idx;
  for (uint64_t i = 0; i < 100; ++i) idx.put({i % 3, i, i * 10, int64_t(i) * 7, -int64_t(i), i * 0x9e3779b97f4a7c15ULL, 0});
  std::string bytes = idx.encode();
  CHECK(bytes.size() == 8 + 4 + 4 + 8 + 100 * 56 + 8);
  Index back = Index::decode(bytes, "test");
  CHECK(back.entries() == idx.entries());
  CHECK(back.lookup(2, 5, 50, 35, -5) == 5 * 0x9e3779b97f4a7c15ULL);
}

TEST_CASE("unify: a damaged index is refused by decode and ignored by load", "[unit]") {
  Index idx;
  idx.put({1, 2, 3, 4, 5, 6, 0});
  std::string good = idx.encode();
  std::string flipped = good;
  flipped[30] ^= 1;
  CHECK_THROWS_WITH(Index::decode(flipped, "f"), Catch::Contains("checksum"));
  CHECK_THROWS_WITH(Index::decode(good.substr(0, good.size() - 1), "f"), Catch::Contains("size"));
  std::string magic = good;
  magic[0] = 'X';
  CHECK_THROWS_WITH(Index::decode(magic, "f"), Catch::Contains("not a vcrun unify index"));
  std::string version = good;
  version[8] = 9;
  CHECK_THROWS_WITH(Index::decode(version, "f"), Catch::Contains("version"));

  Scratch s;
  fs::create_directories(s.path / "sub");
  auto file = IndexFile::open((s.path / "sub" / "index").string());
  CHECK(file.load().size() == 0);  // missing: empty
  file.save(idx);
  CHECK(file.load().size() == 1);
  s.file("sub/index", "garbage");
  CHECK(file.load().size() == 0);
}

TEST_CASE("unify: the index's directory must exist and the index must be a regular file", "[unit]") {
  Scratch s;
  // A missing directory is refused, and nothing is created on the way.
  auto missing = (s.path / "no" / "such" / "index").string();
  CHECK_THROWS_WITH(IndexFile::open(missing), Catch::StartsWith("UnifyOptions.index_path " + missing + ": ") &&
                                                  Catch::Contains("does not exist"));
  CHECK_FALSE(fs::exists(s.path / "no"));
  // A FIFO is refused at once (opened non-blocking), not waited on.
  REQUIRE(::mkfifo((s.path / "fifo").c_str(), 0600) == 0);
  CHECK_THROWS_WITH(IndexFile::open((s.path / "fifo").string()).load(), Catch::Contains("not a regular file"));
  // A symlink is not followed, a directory is no index.
  s.file("real", "x");
  fs::create_symlink(s.path / "real", s.path / "link");
  CHECK_THROWS_WITH(IndexFile::open((s.path / "link").string()).load(), Catch::Contains("symlink"));
  fs::create_directories(s.path / "dir");
  CHECK_THROWS_WITH(IndexFile::open((s.path / "dir").string()).load(), Catch::Contains("not a regular file"));
  CHECK(IndexFile::open((s.path / "index").string()).dir_path() == fs::canonical(s.path).string());
}

TEST_CASE("unify: the tree list keeps absolute paths, sorted and unique", "[unit]") {
  CHECK(decode_tree_list("/b\n\nrelative\n/a\n/b\n") == std::vector<std::string>{"/a", "/b"});
  CHECK(encode_tree_list({"/srv/b", "/srv/a", "/srv/b"}) == "/srv/a\n/srv/b\n");
  CHECK(decode_tree_list(encode_tree_list({"/x y", "/z"})) == std::vector<std::string>{"/x y", "/z"});
}

TEST_CASE("unify: listed trees are found from a directory that holds them, while marked", "[unit]") {
  Scratch s;
  fs::create_directories(s.path / "roots/a");
  fs::create_directories(s.path / "roots/ab");
  fs::create_directories(s.path / "state");
  std::string a = fs::canonical(s.path / "roots/a").string();
  std::string ab = fs::canonical(s.path / "roots/ab").string();
  std::string index = (s.path / "state/index").string();
  auto file = IndexFile::open(index);
  register_trees(file, {a, ab});
  CHECK(decode_tree_list(*read_regular_at(file.dir_fd(), "index.trees", "list")) == std::vector<std::string>{a, ab});
  // Not marked (no trusted.* xattr without privilege, or not set yet): not reported.
  CHECK(listed_trees_within(index, fs::canonical(s.path / "roots").string()).empty());
  UniqueFd fd(::open(a.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(fd);
  if (::fsetxattr(fd.get(), kMarkerXattr, "1", 1, 0) != 0) {
    WARN("SKIP: setting a trusted.* xattr needs CAP_SYS_ADMIN");
    return;
  }
  std::string roots = fs::canonical(s.path / "roots").string();
  CHECK(listed_trees_within(index, roots) == std::vector<std::string>{a});
  CHECK(listed_trees_within(index, a) == std::vector<std::string>{a});
  CHECK(listed_trees_within(index, ab).empty());  // "/roots/ab" does not hold "/roots/a"
  CHECK(listed_trees_within(index, fs::canonical(s.path / "state").string()).empty());
  CHECK(listed_trees_within((s.path / "nowhere/index").string(), roots).empty());
  // A rerun drops trees whose mark is gone.
  register_trees(file, {});
  CHECK(decode_tree_list(*read_regular_at(file.dir_fd(), "index.trees", "list")) == std::vector<std::string>{a});
}

TEST_CASE("unify: unseen entries age out after kIndexMaxAge runs", "[unit]") {
  Index idx;
  idx.put({1, 1, 1, 1, 1, 1, 0});
  idx.put({1, 2, 1, 1, 1, 1, 0});
  idx.age_unseen();  // both seen in this run
  for (uint32_t run = 1; run <= kIndexMaxAge; ++run) {
    idx.put({1, 2, 1, 1, 1, 1, 0});  // only inode 2 is seen again
    idx.age_unseen();
    REQUIRE(idx.size() == 2);
  }
  idx.put({1, 2, 1, 1, 1, 1, 0});
  idx.age_unseen();
  CHECK(idx.size() == 1);
  CHECK(idx.lookup(1, 2, 1, 1, 1));
}

TEST_CASE("unify: replace_with_link swaps a name atomically and leaves no temporary", "[unit]") {
  Scratch s;
  auto keep = s.file("keep", "content");
  auto victim = s.file("victim", "content");
  s.file(kTempName, "leftover of a killed run");
  UniqueFd dir(::open(s.path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  UniqueFd target(::open(keep.c_str(), O_PATH | O_CLOEXEC));
  REQUIRE((dir && target));
  replace_with_link(target.get(), dir.get(), "victim", victim.string());
  struct stat a, b;
  REQUIRE(::stat(keep.c_str(), &a) == 0);
  REQUIRE(::stat(victim.c_str(), &b) == 0);
  CHECK(a.st_ino == b.st_ino);
  CHECK(a.st_nlink == 2);
  CHECK_FALSE(fs::exists(s.path / kTempName));
}

TEST_CASE("unify: hash and byte comparison tell equal files from different ones", "[unit]") {
  Scratch s;
  std::string big(700 * 1024, 'x');  // several read chunks
  auto a = s.file("a", big);
  auto b = s.file("b", big);
  big[600 * 1024] = 'y';
  auto c = s.file("c", big);
  UniqueFd fa = open_ro(a), fb = open_ro(b), fc = open_ro(c);
  CHECK(hash_file(fa.get(), "a") == hash_file(fb.get(), "b"));
  CHECK(hash_file(fa.get(), "a") != hash_file(fc.get(), "c"));
  CHECK(same_bytes(fa.get(), fb.get(), big.size(), "a"));
  CHECK_FALSE(same_bytes(fa.get(), fc.get(), big.size(), "a"));
  CHECK_FALSE(same_bytes(fa.get(), fb.get(), big.size() + 1, "a"));  // grew since the scan
}

TEST_CASE("unify: a bucket's reference gives each file's hash and equality in one read", "[unit]") {
  Scratch s;
  std::string big(700 * 1024, 'x');  // several read chunks
  auto a = s.file("a", big);
  auto b = s.file("b", big);
  std::string late = big;
  late[650 * 1024] = 'y';  // differs in the last chunk only
  auto c = s.file("c", late);
  auto d = s.file("d", big + "z");  // one byte longer
  auto e = s.file("e", big.substr(1));  // one byte shorter
  UniqueFd fa = open_ro(a), fb = open_ro(b), fc = open_ro(c), fd = open_ro(d), fe = open_ro(e);
  Reference ref;
  REQUIRE(ref.load(fa.get(), big.size(), "a"));
  CHECK(ref.hash() == hash_file(fa.get(), "a"));
  uint64_t h = 0;
  CHECK(ref.hash_and_compare(fb.get(), h, "b"));
  CHECK(h == hash_file(fb.get(), "b"));
  CHECK_FALSE(ref.hash_and_compare(fc.get(), h, "c"));
  CHECK(h == hash_file(fc.get(), "c"));  // the whole file hashed after the difference
  CHECK_FALSE(ref.hash_and_compare(fd.get(), h, "d"));
  CHECK(h == hash_file(fd.get(), "d"));
  CHECK_FALSE(ref.hash_and_compare(fe.get(), h, "e"));
  Reference grown;
  CHECK_FALSE(grown.load(fd.get(), big.size(), "d"));  // larger than the scan saw
}

TEST_CASE("unify: open_trees refuses symlinks on the way, \"/\" and the index's directory", "[unit]") {
  Scratch s;
  fs::create_directories(s.path / "t/sub");
  fs::create_directories(s.path / "state");
  fs::create_symlink(s.path / "t", s.path / "link");
  std::string state = fs::canonical(s.path / "state").string();
  CHECK_THROWS_WITH(open_trees({(s.path / "link").string()}, ""), Catch::Contains("symlink"));
  CHECK_THROWS_WITH(open_trees({(s.path / "link/sub").string()}, ""), Catch::Contains("symlink"));
  // Only opened, never walked: the refusal comes first.
  CHECK_THROWS_WITH(open_trees({"/"}, ""), Catch::Contains("root directory"));
  CHECK_THROWS_WITH(open_trees({s.path.string()}, state), Catch::Contains("index's directory"));
  CHECK_THROWS_WITH(open_trees({state}, state), Catch::Contains("index's directory"));
  CHECK_THROWS_WITH(open_trees({(s.path / "state/x").string()}, state), Catch::Contains("No such file"));
  fs::create_directories(s.path / "state/below");
  CHECK(open_trees({(s.path / "state/below").string()}, state).size() == 1);  // holds no index
  auto trees = open_trees({(s.path / "t/sub").string()}, state);
  REQUIRE(trees.size() == 1);
  CHECK(trees[0].real == fs::canonical(s.path / "t/sub").string());
}
