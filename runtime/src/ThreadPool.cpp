//===- ThreadPool.cpp - the worker threads behind qcrt_parallel_for -------===//
//
// Part of quantc.
//
// A job is the range [0, n) cut into chunks whose boundaries are multiples of
// the grain (the last chunk takes the remainder), so every chunk has at least
// `grain` iterations and a kernel that tiles by its grain sees whole tiles.
// Threads take chunks from one atomic ticket holding the job's tag and the
// next chunk index: a worker that wakes late for a finished job sees a stale
// tag and goes back to sleep without touching the next job. The caller
// returns once every chunk has completed. A call allocates nothing.
//
// Waking a thread from a condition variable takes tens of microseconds,
// as long as a whole matrix-vector product of a decoding step. So a worker
// that finished a job, and a caller waiting for the last chunk, first spin
// for up to kSpinNanos watching an atomic before they sleep: the layers of
// one model run, and back-to-back runs, find their threads awake.
//
//===----------------------------------------------------------------------===//

#include "ThreadPool.h"

#include "Error.h"

#include <atomic>
#include <new>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

namespace {

// Chunks per thread: enough for uneven chunk costs to even out, few enough
// that taking a chunk stays cheap next to running one.
constexpr int64_t kChunksPerThread = 4;

// How long a thread spins before it sleeps.
constexpr int64_t kSpinNanos = 100000;

int64_t nowNanos() {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return int64_t(t.tv_sec) * 1000000000 + t.tv_nsec;
}

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

// Spins until done() or kSpinNanos pass; returns done().
template <typename Done> bool spinUntil(Done done) {
  int64_t deadline = 0;
  for (unsigned i = 0;; ++i) {
    if (done())
      return true;
    if ((i & 63) == 0) {
      int64_t now = nowNanos();
      if (deadline == 0)
        deadline = now + kSpinNanos;
      else if (now >= deadline)
        return done();
    }
    cpuRelax();
  }
}

struct Job {
  qcrt_task_fn fn;
  void *ctx;
  int64_t n;
  int64_t grain;
  int64_t numChunks;
  // Chunk c covers blocksPerChunk (+1 for the first extraBlocks chunks)
  // grain-sized blocks.
  int64_t blocksPerChunk;
  int64_t extraBlocks;
  uint32_t tag;
};

} // namespace

struct qcrt_pool {
  pthread_mutex_t mutex;
  pthread_cond_t wake;     // Workers wait here for a new job.
  pthread_cond_t finished; // The caller waits here for the last chunk.
  pthread_t *workers;
  int numWorkers;
  bool stopping;       // Under mutex.
  uint64_t generation; // Under mutex; bumped for every job.
  Job job;             // Under mutex.
  // (job tag << 32) | index of the next chunk to take.
  std::atomic<uint64_t> ticket;
  std::atomic<int64_t> completed;
  // `generation` and `stopping`, readable without the mutex (spinning).
  std::atomic<uint64_t> posted;
  std::atomic<bool> stopRequested;
  // Set while a job runs: a nested call (a chunk calling qcrt_parallel_for
  // on its own pool) or a concurrent one runs serially instead of
  // corrupting the job.
  std::atomic<bool> busy;
};

namespace {

void runChunk(const Job &job, int64_t c) {
  int64_t firstBlock =
      c * job.blocksPerChunk + (c < job.extraBlocks ? c : job.extraBlocks);
  int64_t blocks = job.blocksPerChunk + (c < job.extraBlocks ? 1 : 0);
  int64_t begin = firstBlock * job.grain;
  int64_t end =
      c == job.numChunks - 1 ? job.n : (firstBlock + blocks) * job.grain;
  job.fn(job.ctx, begin, end);
}

// Takes and runs chunks of `job` until none is left.
void runChunks(qcrt_pool *pool, const Job &job) {
  for (;;) {
    uint64_t ticket = pool->ticket.load(std::memory_order_acquire);
    int64_t chunk;
    for (;;) {
      if (uint32_t(ticket >> 32) != job.tag)
        return;
      chunk = int64_t(ticket & 0xffffffffu);
      if (chunk >= job.numChunks)
        return;
      if (pool->ticket.compare_exchange_weak(ticket, ticket + 1,
                                             std::memory_order_acq_rel,
                                             std::memory_order_acquire))
        break;
    }
    runChunk(job, chunk);
    if (pool->completed.fetch_add(1, std::memory_order_acq_rel) + 1 ==
        job.numChunks) {
      // The lock orders this signal after the caller's check of `completed`.
      pthread_mutex_lock(&pool->mutex);
      pthread_cond_signal(&pool->finished);
      pthread_mutex_unlock(&pool->mutex);
    }
  }
}

void *workerMain(void *arg) {
  qcrt_pool *pool = static_cast<qcrt_pool *>(arg);
  uint64_t seen = 0;
  pthread_mutex_lock(&pool->mutex);
  for (;;) {
    while (!pool->stopping && pool->generation == seen)
      pthread_cond_wait(&pool->wake, &pool->mutex);
    if (pool->stopping)
      break;
    seen = pool->generation;
    Job job = pool->job;
    pthread_mutex_unlock(&pool->mutex);
    runChunks(pool, job);
    spinUntil([&] {
      return pool->posted.load(std::memory_order_acquire) != seen ||
             pool->stopRequested.load(std::memory_order_relaxed);
    });
    pthread_mutex_lock(&pool->mutex);
  }
  pthread_mutex_unlock(&pool->mutex);
  return nullptr;
}

void stopWorkers(qcrt_pool *pool, int started) {
  pthread_mutex_lock(&pool->mutex);
  pool->stopping = true;
  pool->stopRequested.store(true, std::memory_order_relaxed);
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->mutex);
  for (int i = 0; i < started; ++i)
    pthread_join(pool->workers[i], nullptr);
}

void freePool(qcrt_pool *pool) {
  pthread_cond_destroy(&pool->finished);
  pthread_cond_destroy(&pool->wake);
  pthread_mutex_destroy(&pool->mutex);
  free(pool->workers);
  pool->~qcrt_pool();
  free(pool);
}

} // namespace

qcrt_pool *qcrt::createPool(int numThreads) {
  if (numThreads < 2 || numThreads > kMaxThreads) {
    fail("thread pool: %d threads requested, expected 2 to %d", numThreads,
         kMaxThreads);
    return nullptr;
  }
  void *memory = calloc(1, sizeof(qcrt_pool));
  pthread_t *workers = static_cast<pthread_t *>(
      calloc(size_t(numThreads - 1), sizeof(pthread_t)));
  if (!memory || !workers) {
    free(memory);
    free(workers);
    fail("thread pool: out of memory");
    return nullptr;
  }
  qcrt_pool *pool = new (memory) qcrt_pool();
  pool->workers = workers;
  pool->numWorkers = numThreads - 1;
  pthread_mutex_init(&pool->mutex, nullptr);
  pthread_cond_init(&pool->wake, nullptr);
  pthread_cond_init(&pool->finished, nullptr);
  pool->ticket.store(0);
  pool->completed.store(0);
  pool->busy.store(false);
  pool->posted.store(0);
  pool->stopRequested.store(false);

  // Workers start with asynchronous signals blocked, so process-directed
  // signals keep going to the application's own threads. Signals a fault
  // raises in the worker itself (a SIGBUS from a weights file truncated under
  // the mapping, say) stay deliverable to the application's handlers.
  sigset_t blocked, previous;
  sigfillset(&blocked);
  const int synchronous[] = {SIGSEGV, SIGBUS,  SIGFPE, SIGILL,
                             SIGTRAP, SIGABRT, SIGSYS};
  for (int sig : synchronous)
    sigdelset(&blocked, sig);
  pthread_sigmask(SIG_SETMASK, &blocked, &previous);
  int started = 0, error = 0;
  for (; started < pool->numWorkers; ++started) {
    error = pthread_create(&pool->workers[started], nullptr, workerMain, pool);
    if (error != 0)
      break;
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);

  if (error != 0) {
    stopWorkers(pool, started);
    freePool(pool);
    char text[128];
    fail("thread pool: cannot start thread %d of %d: %s", started + 2,
         numThreads, errnoText(error, text, sizeof(text)));
    return nullptr;
  }
  return pool;
}

void qcrt::destroyPool(qcrt_pool *pool) {
  if (!pool)
    return;
  stopWorkers(pool, pool->numWorkers);
  freePool(pool);
}

int qcrt::poolThreads(const qcrt_pool *pool) {
  return pool ? pool->numWorkers + 1 : 1;
}

int qcrt::availableCpus() {
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0)
      return n < kMaxThreads ? n : kMaxThreads;
  }
#endif
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? int(n < kMaxThreads ? n : kMaxThreads) : 1;
}

void qcrt_parallel_for(qcrt_pool *pool, int64_t n, int64_t grain,
                       qcrt_task_fn fn, void *ctx) {
  if (n <= 0 || !fn)
    return;
  if (grain < 1)
    grain = 1;
  int64_t blocks = n / grain;
  if (!pool || pool->numWorkers == 0 || blocks < 2 ||
      pool->busy.exchange(true, std::memory_order_acquire)) {
    fn(ctx, 0, n);
    return;
  }

  int64_t maxChunks = int64_t(pool->numWorkers + 1) * kChunksPerThread;
  Job job;
  job.fn = fn;
  job.ctx = ctx;
  job.n = n;
  job.grain = grain;
  job.numChunks = blocks < maxChunks ? blocks : maxChunks;
  job.blocksPerChunk = blocks / job.numChunks;
  job.extraBlocks = blocks % job.numChunks;

  pthread_mutex_lock(&pool->mutex);
  job.tag = uint32_t(++pool->generation);
  pool->job = job;
  pool->completed.store(0, std::memory_order_relaxed);
  pool->ticket.store(uint64_t(job.tag) << 32, std::memory_order_release);
  pool->posted.store(pool->generation, std::memory_order_release);
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->mutex);

  runChunks(pool, job);

  if (!spinUntil([&] {
        return pool->completed.load(std::memory_order_acquire) == job.numChunks;
      })) {
    pthread_mutex_lock(&pool->mutex);
    while (pool->completed.load(std::memory_order_acquire) != job.numChunks)
      pthread_cond_wait(&pool->finished, &pool->mutex);
    pthread_mutex_unlock(&pool->mutex);
  }
  pool->busy.store(false, std::memory_order_release);
}
