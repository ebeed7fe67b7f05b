//===- ThreadPool.cpp - the executor's worker threads ---------------------===//
//
// Part of quantc. A fixed pool; parallelFor hands out contiguous chunks to
// the workers and the calling thread.
//
//===----------------------------------------------------------------------===//

#include "ThreadPool.h"

#include "Kernels.h"

#include <algorithm>

using namespace mlir::qc::exec;

ThreadPool::ThreadPool(unsigned numWorkers) {
  for (unsigned i = 0; i < numWorkers; ++i)
    workers.emplace_back([this] { workerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
  }
  wake.notify_all();
  for (std::thread &t : workers)
    t.join();
}

void ThreadPool::workerLoop() {
  uint64_t seen = 0;
  for (;;) {
    const std::function<void()> *job;
    {
      std::unique_lock<std::mutex> lock(mutex);
      wake.wait(lock, [&] { return stopping || generation != seen; });
      if (stopping)
        return;
      seen = generation;
      job = current;
    }
    (*job)();
    std::lock_guard<std::mutex> lock(mutex);
    if (--running == 0)
      finished.notify_all();
  }
}

void ThreadPool::runOnAll(const std::function<void()> &job) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    current = &job;
    running = workers.size();
    ++generation;
  }
  wake.notify_all();
  job();
  // The job may reference the caller's locals: wait for every worker.
  std::unique_lock<std::mutex> lock(mutex);
  finished.wait(lock, [&] { return running == 0; });
}

void mlir::qc::exec::parallelFor(ThreadPool *pool, int64_t n, int64_t grain,
                                 const std::function<void(int64_t, int64_t)> &fn) {
  if (n <= 0)
    return;
  unsigned workers = pool ? pool->size() : 0;
  if (workers == 0 || n <= std::max<int64_t>(grain, 1)) {
    fn(0, n);
    return;
  }
  int64_t chunks = std::min<int64_t>(n / std::max<int64_t>(grain, 1),
                                     4 * (workers + 1));
  chunks = std::max<int64_t>(chunks, 1);
  int64_t per = (n + chunks - 1) / chunks;
  std::atomic<int64_t> next{0};
  std::function<void()> work = [&] {
    for (;;) {
      int64_t c = next.fetch_add(1);
      if (c >= chunks)
        return;
      int64_t b = c * per, e = std::min(n, b + per);
      if (b < e)
        fn(b, e);
    }
  };
  pool->runOnAll(work);
}
