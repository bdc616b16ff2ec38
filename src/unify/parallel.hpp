// A small worker pool for unify's phases, with a progress tick on the calling thread.
#pragma once

#include <cstddef>
#include <functional>

namespace vcrun::unify {

// Runs fn(0..n-1) on `jobs` threads; the calling thread calls `tick` about every 100 ms
// until they finish. The first exception thrown by fn stops the rest and is rethrown.
void parallel_for(size_t n, unsigned jobs, const std::function<void(size_t)>& fn,
                  const std::function<void()>& tick);

}  // namespace vcrun::unify
