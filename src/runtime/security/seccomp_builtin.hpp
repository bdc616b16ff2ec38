// The built-in seccomp profile's BPF program, compiled when vcrun is built instead of on
// every start: compiling it with libseccomp was about half of quick mode's user-space
// instructions (callgrind; docs/evaluation.md, "Quick mode's cost").
#pragma once

#include <linux/filter.h>

#include <cstddef>

namespace vcrun::security {

// What SeccompProgram::compile(default_profile(true)) returns, as plain data: defined in
// the build directory's generated seccomp_builtin_program.cpp, written by the build-time
// tool vcrun-seccomp-gen (src/runtime/security/seccomp_gen_main.cpp) with the libseccomp vcrun links, for the
// architecture vcrun is built for. The unit test "seccomp: the embedded built-in program
// is what libseccomp compiles" fails when it is stale.
struct BuiltinSeccomp {
  const sock_filter* code;
  size_t size;
  unsigned requested_flags;  // SeccompProgram::requested_flags()
  bool notifies;
};
extern const BuiltinSeccomp kBuiltinSeccomp;

}  // namespace vcrun::security
