// openat2(2) with the retry every caller needs, bounded.
#pragma once

#include <linux/openat2.h>  // RESOLVE_*, for callers

#include <cstdint>

#include "base/fd.hpp"

namespace vcrun {

// How often openat2 is retried when it fails with EAGAIN (a concurrent rename or mount
// made the kernel unsure that a RESOLVE_BENEATH/RESOLVE_IN_ROOT walk stayed inside) or
// EINTR, before that errno is returned. A walk that keeps racing a writer this long is
// under attack or livelocked: failing beats spinning forever.
inline constexpr int kOpenat2Retries = 32;

// openat2(dir_fd, path, {flags | O_CLOEXEC, mode, resolve}); an invalid fd and errno set on
// failure. `mode` only counts with O_CREAT or O_TMPFILE.
UniqueFd openat2_fd(int dir_fd, const char* path, uint64_t flags, uint64_t resolve, unsigned mode = 0);

}  // namespace vcrun
