// Unit tests of the built-in seccomp program the build embeds (seccomp_builtin.hpp): it is
// what libseccomp compiles from default_profile(true) now, instruction for instruction.
#include <catch2/catch.hpp>

#include <cstring>

#include "runtime/security/seccomp.hpp"
#include "runtime/security/seccomp_builtin.hpp"
#include "runtime/security/seccomp_select.hpp"

using namespace vcrun;
using namespace vcrun::security;

TEST_CASE("seccomp: the embedded built-in program is what libseccomp compiles", "[unit][seccomp]") {
  // Fails when the generated source is stale (the profile, the compiler in seccomp.cpp or
  // libseccomp changed without vcrun-seccomp-gen running again).
  SeccompProgram fresh = SeccompProgram::compile(default_profile(true));
  REQUIRE(fresh.skipped() == 0);
  const BuiltinSeccomp& b = kBuiltinSeccomp;
  REQUIRE(b.size == fresh.code().size());
  for (size_t i = 0; i < b.size; ++i) {
    CAPTURE(i);
    CHECK(b.code[i].code == fresh.code()[i].code);
    CHECK(b.code[i].jt == fresh.code()[i].jt);
    CHECK(b.code[i].jf == fresh.code()[i].jf);
    CHECK(b.code[i].k == fresh.code()[i].k);
  }
  CHECK(b.requested_flags == fresh.requested_flags());
  CHECK(b.notifies == fresh.notifies());
}

TEST_CASE("seccomp: quick mode's container gets the embedded program", "[unit][seccomp]") {
  ContainerSpec spec;
  spec.vcrun.default_seccomp = true;
  auto p = compile_for(spec);
  REQUIRE(p);
  SeccompProgram fresh = SeccompProgram::compile(default_profile());
  REQUIRE(p->code().size() == fresh.code().size());
  CHECK(std::memcmp(p->code().data(), fresh.code().data(), fresh.code().size() * sizeof(sock_filter)) == 0);
  CHECK(p->flags() == fresh.flags());
  CHECK(p->notifies() == fresh.notifies());
  CHECK(p->skipped() == 0);
}

TEST_CASE("seccomp: before Linux 4.8 the built-in profile also denies ptrace", "[unit][seccomp]") {
  auto has_ptrace = [](const Seccomp& p) {
    for (const auto& r : p.syscalls)
      for (const auto& n : r.names)
        if (n == "ptrace") return true;
    return false;
  };
  CHECK_FALSE(has_ptrace(default_profile(true)));
  CHECK(has_ptrace(default_profile(false)));
}
