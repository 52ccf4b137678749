// Runs independent work items with a bounded number of threads (zones in parallel, never a thread
// per instance). Thread-safe; each call owns its threads and joins them before returning.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

namespace fleetpatch::workflow {

// Calls fn(i) for every i in [0, n) on at most `max_workers` threads (>= 1), and returns when all
// are done. fn must not throw. With max_workers == 1 or n <= 1, runs on the calling thread.
inline void ParallelFor(size_t n, size_t max_workers, const std::function<void(size_t)>& fn) {
  size_t workers = std::min(n, std::max<size_t>(1, max_workers));
  if (workers <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<size_t> next{0};
  std::vector<std::thread> threads;
  threads.reserve(workers);
  for (size_t w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      for (size_t i = next++; i < n; i = next++) fn(i);
    });
  }
  for (auto& t : threads) t.join();
}

}  // namespace fleetpatch::workflow
