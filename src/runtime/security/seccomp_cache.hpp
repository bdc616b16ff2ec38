// The compiled built-in seccomp profile kept in a file beside the containers' state, so that
// a start need not run libseccomp: compiling the profile was about half of quick mode's
// user-space instructions (callgrind; docs/evaluation.md, "Quick mode's cost").
#pragma once

#include <string>

#include "runtime/security/seccomp.hpp"
#include "vcrun/spec.hpp"

namespace vcrun::security {

// The program SeccompProgram::compile(profile) returns, read from <dir>/.seccomp-default.bpf
// when that file was written for exactly this profile by exactly this vcrun binary (its
// device, inode, size and mtime), else compiled and then written there (atomically; a
// failure to write only costs the next start a compile). The file is used only when it is
// a regular file owned by the caller's euid and writable by no one else. A profile with
// names libseccomp skipped (and warned about) is not cached, so every start warns alike.
SeccompProgram compile_cached(const Seccomp& profile, const std::string& dir);

// The text a cache entry must match: the binary's identity and every field compile() reads.
std::string seccomp_cache_key(const Seccomp& profile);

}  // namespace vcrun::security
