//===- ThreadPool.h - the worker threads behind qcrt_parallel_for -*- C++
//-*-===//
//
// Part of quantc. One pool per model: persistent workers that sleep between
// jobs, and qcrt_parallel_for hands them chunks of an index range while the
// calling thread works on chunks too.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_RUNTIME_THREADPOOL_H
#define QUANTC_RUNTIME_THREADPOOL_H

#include "quantc/runtime.h"

namespace qcrt {

/// Upper bound on a pool's threads; more is a mistake in the options.
constexpr int kMaxThreads = 1024;

/// Starts a pool of `numThreads` threads counting the caller, i.e.
/// numThreads - 1 workers (2 <= numThreads <= kMaxThreads). Returns null and
/// sets the last error when a thread cannot be started.
qcrt_pool *createPool(int numThreads);

/// Stops and joins the workers. The pool must be idle.
void destroyPool(qcrt_pool *pool);

/// Threads of the pool counting the caller; 1 for a null pool.
int poolThreads(const qcrt_pool *pool);

/// CPUs this process may run on (its affinity mask on Linux), at least 1.
int availableCpus();

} // namespace qcrt

#endif // QUANTC_RUNTIME_THREADPOOL_H
