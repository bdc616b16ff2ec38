// unify's worker pool.
#include "unify/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace vcrun::unify {

void parallel_for(size_t n, unsigned jobs, const std::function<void(size_t)>& fn,
                  const std::function<void()>& tick) {
  jobs = static_cast<unsigned>(std::max<size_t>(1, std::min<size_t>(jobs ? jobs : 1, n)));
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex m;
  std::condition_variable cv;
  unsigned finished = 0;
  std::exception_ptr error;
  auto worker = [&] {
    for (;;) {
      size_t i = next.fetch_add(1);
      if (i >= n || stop.load()) break;
      try {
        fn(i);
      } catch (...) {
        std::lock_guard lock(m);
        if (!error) error = std::current_exception();
        stop = true;
      }
    }
    std::lock_guard lock(m);
    ++finished;
    cv.notify_all();
  };
  std::vector<std::thread> threads;
  for (unsigned j = 0; j < jobs; ++j) threads.emplace_back(worker);
  {
    std::unique_lock lock(m);
    while (finished < jobs) {
      cv.wait_for(lock, std::chrono::milliseconds(100));
      if (tick && finished < jobs) {
        lock.unlock();
        tick();
        lock.lock();
      }
    }
  }
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace vcrun::unify
