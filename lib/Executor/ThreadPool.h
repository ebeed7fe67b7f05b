//===- ThreadPool.h - the executor's worker threads (internal) --*- C++ -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_EXECUTOR_THREADPOOL_H
#define QC_LIB_EXECUTOR_THREADPOOL_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mlir::qc::exec {

class ThreadPool {
public:
  explicit ThreadPool(unsigned numWorkers);
  ~ThreadPool();
  unsigned size() const { return workers.size(); }
  /// Runs `job` once on every worker and once on the calling thread, and
  /// returns when all of them have finished. `job` must return when there is
  /// no more work to take. Calls must not overlap (the executor runs one op
  /// at a time).
  void runOnAll(const std::function<void()> &job);

private:
  void workerLoop();
  std::vector<std::thread> workers;
  std::mutex mutex;
  std::condition_variable wake;
  std::condition_variable finished;
  const std::function<void()> *current = nullptr;
  unsigned running = 0;
  uint64_t generation = 0;
  bool stopping = false;
};

} // namespace mlir::qc::exec

#endif // QC_LIB_EXECUTOR_THREADPOOL_H
