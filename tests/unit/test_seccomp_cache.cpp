// Unit tests of the file cache of the compiled built-in seccomp profile: a hit gives the very
// program compile() gives, and an entry for another profile, a symlink or a file others may
// write is never used.
#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "runtime/security/seccomp.hpp"
#include "runtime/security/seccomp_cache.hpp"

using namespace vcrun;
using namespace vcrun::security;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/vcrun-seccomp-cache-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { fs::remove_all(path); }
};

bool same(const SeccompProgram& a, const SeccompProgram& b) {
  return a.code().size() == b.code().size() &&
         std::memcmp(a.code().data(), b.code().data(), a.code().size() * sizeof(sock_filter)) == 0 &&
         a.flags() == b.flags() && a.notifies() == b.notifies();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const char* const kEntry = "/.seccomp-default.bpf";

}  // namespace

TEST_CASE("seccomp cache: a miss compiles and writes, a hit reads the same program", "[unit][seccomp]") {
  TempDir dir;
  Seccomp profile = default_profile();
  SeccompProgram compiled = SeccompProgram::compile(profile);
  SeccompProgram first = compile_cached(profile, dir.path);
  CHECK(same(first, compiled));
  REQUIRE(fs::is_regular_file(dir.path + kEntry));
  CHECK((fs::status(dir.path + kEntry).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write));
  std::string bytes = slurp(dir.path + kEntry);
  SeccompProgram second = compile_cached(profile, dir.path);
  CHECK(same(second, compiled));
  CHECK(slurp(dir.path + kEntry) == bytes);  // read, not rewritten
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);  // no temp file left
}

TEST_CASE("seccomp cache: an entry for another profile is replaced, not used", "[unit][seccomp]") {
  TempDir dir;
  Seccomp profile = default_profile();
  Seccomp other = profile;
  other.syscalls.resize(1);
  compile_cached(other, dir.path);
  SeccompProgram got = compile_cached(profile, dir.path);
  CHECK(same(got, SeccompProgram::compile(profile)));
  CHECK(seccomp_cache_key(profile) != seccomp_cache_key(other));
  // A changed errno is a different profile too.
  Seccomp errno_changed = profile;
  errno_changed.syscalls[0].errno_ret = 38;
  CHECK(seccomp_cache_key(profile) != seccomp_cache_key(errno_changed));
}

TEST_CASE("seccomp cache: a corrupt, symlinked or group-writable entry is not used", "[unit][seccomp]") {
  TempDir dir;
  Seccomp profile = default_profile();
  SeccompProgram compiled = SeccompProgram::compile(profile);
  compile_cached(profile, dir.path);
  std::string good = slurp(dir.path + kEntry);

  SECTION("truncated") {
    { std::ofstream(dir.path + kEntry, std::ios::binary | std::ios::trunc) << good.substr(0, good.size() - 3); }
    CHECK(same(compile_cached(profile, dir.path), compiled));
    CHECK(slurp(dir.path + kEntry) == good);  // rewritten
  }
  SECTION("group-writable") {
    std::string bad = good;
    bad[bad.size() - 1] ^= 1;
    { std::ofstream(dir.path + kEntry, std::ios::binary | std::ios::trunc) << bad; }
    REQUIRE(::chmod((dir.path + kEntry).c_str(), 0620) == 0);
    CHECK(same(compile_cached(profile, dir.path), compiled));
  }
  SECTION("a symlink") {
    std::string target = dir.path + "/elsewhere";
    std::string bad = good;
    bad[bad.size() - 1] ^= 1;
    { std::ofstream(target, std::ios::binary) << bad; }
    fs::remove(dir.path + kEntry);
    fs::create_symlink(target, dir.path + kEntry);
    CHECK(same(compile_cached(profile, dir.path), compiled));
  }
}

TEST_CASE("seccomp cache: an unusable directory only costs the compile", "[unit][seccomp]") {
  Seccomp profile = default_profile();
  CHECK(same(compile_cached(profile, "/nonexistent/vcrun-seccomp-cache"), SeccompProgram::compile(profile)));
}
