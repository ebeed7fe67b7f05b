//===- ThreadPoolTest.cpp - qcrt_parallel_for -----------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "ThreadPool.h"

#include "gtest/gtest.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace qcrt;

namespace {

struct Chunk {
  int64_t begin, end;
};

// Records every chunk and counts how often each index is visited.
struct Coverage {
  explicit Coverage(int64_t n) : hits(size_t(n)) {}
  std::vector<std::atomic<int>> hits;
  std::mutex mutex;
  std::vector<Chunk> chunks;

  static void task(void *ctx, int64_t begin, int64_t end) {
    Coverage &c = *static_cast<Coverage *>(ctx);
    for (int64_t i = begin; i < end; ++i)
      c.hits[size_t(i)].fetch_add(1);
    std::lock_guard<std::mutex> lock(c.mutex);
    c.chunks.push_back({begin, end});
  }
};

struct PoolDeleter {
  void operator()(qcrt_pool *p) const { destroyPool(p); }
};
using PoolPtr = std::unique_ptr<qcrt_pool, PoolDeleter>;

TEST(QcrtParallelFor, NullPoolCallsOnce) {
  Coverage c(1000);
  qcrt_parallel_for(nullptr, 1000, 7, Coverage::task, &c);
  ASSERT_EQ(c.chunks.size(), 1u);
  EXPECT_EQ(c.chunks[0].begin, 0);
  EXPECT_EQ(c.chunks[0].end, 1000);
}

TEST(QcrtParallelFor, EmptyRangeCallsNothing) {
  PoolPtr pool(createPool(3));
  ASSERT_TRUE(pool);
  Coverage c(1);
  qcrt_parallel_for(pool.get(), 0, 1, Coverage::task, &c);
  qcrt_parallel_for(pool.get(), -5, 1, Coverage::task, &c);
  qcrt_parallel_for(nullptr, 0, 1, Coverage::task, &c);
  EXPECT_TRUE(c.chunks.empty());
}

// Every index once; every chunk at least `grain` long and starting on a
// multiple of the grain; a range shorter than two grains is one call.
TEST(QcrtParallelFor, CoversRangeExactlyOnce) {
  for (int threads : {2, 3, 4, 8}) {
    PoolPtr pool(createPool(threads));
    ASSERT_TRUE(pool) << qcrt_last_error();
    EXPECT_EQ(poolThreads(pool.get()), threads);
    for (int64_t n : {1, 2, 3, 7, 64, 100, 1000, 4097}) {
      for (int64_t grain : {0, 1, 2, 3, 16, 100, 5000}) {
        Coverage c(n);
        qcrt_parallel_for(pool.get(), n, grain, Coverage::task, &c);
        SCOPED_TRACE(testing::Message() << "threads " << threads << " n " << n
                                        << " grain " << grain);
        for (int64_t i = 0; i < n; ++i)
          ASSERT_EQ(c.hits[size_t(i)].load(), 1) << "index " << i;
        int64_t g = grain < 1 ? 1 : grain;
        if (n / g < 2) {
          ASSERT_EQ(c.chunks.size(), 1u);
          EXPECT_EQ(c.chunks[0].begin, 0);
          EXPECT_EQ(c.chunks[0].end, n);
          continue;
        }
        EXPECT_GE(int64_t(c.chunks.size()), 2);
        EXPECT_LE(int64_t(c.chunks.size()), int64_t(threads) * 4);
        for (const Chunk &ch : c.chunks) {
          EXPECT_GE(ch.end - ch.begin, g);
          EXPECT_EQ(ch.begin % g, 0);
        }
      }
    }
  }
}

TEST(QcrtParallelFor, ManySmallJobs) {
  PoolPtr pool(createPool(4));
  ASSERT_TRUE(pool);
  std::vector<int64_t> out(64);
  struct Ctx {
    int64_t *out;
    int64_t round;
  } ctx{out.data(), 0};
  auto task = [](void *p, int64_t begin, int64_t end) {
    Ctx &c = *static_cast<Ctx *>(p);
    for (int64_t i = begin; i < end; ++i)
      c.out[i] += c.round;
  };
  int64_t expected = 0;
  for (int64_t round = 1; round <= 20000; ++round) {
    ctx.round = round;
    expected += round;
    qcrt_parallel_for(pool.get(), 64, 1, task, &ctx);
  }
  for (int64_t v : out)
    ASSERT_EQ(v, expected);
}

TEST(QcrtParallelFor, WorkersTakePart) {
  PoolPtr pool(createPool(4));
  ASSERT_TRUE(pool);
  struct Ctx {
    std::mutex mutex;
    std::set<std::thread::id> ids;
  } ctx;
  auto task = [](void *p, int64_t, int64_t) {
    Ctx &c = *static_cast<Ctx *>(p);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    std::lock_guard<std::mutex> lock(c.mutex);
    c.ids.insert(std::this_thread::get_id());
  };
  qcrt_parallel_for(pool.get(), 16, 1, task, &ctx);
  EXPECT_GE(ctx.ids.size(), 2u);
}

// A chunk that calls qcrt_parallel_for on its own pool runs the inner range
// itself instead of deadlocking or corrupting the outer job.
TEST(QcrtParallelFor, NestedCallRunsSerially) {
  PoolPtr pool(createPool(3));
  ASSERT_TRUE(pool);
  struct Ctx {
    qcrt_pool *pool;
    std::vector<std::atomic<int>> hits =
        std::vector<std::atomic<int>>(100 * 50);
  } ctx;
  ctx.pool = pool.get();
  struct Inner {
    Ctx *ctx;
    int64_t row;
  };
  auto outer = [](void *p, int64_t begin, int64_t end) {
    Ctx &c = *static_cast<Ctx *>(p);
    for (int64_t row = begin; row < end; ++row) {
      Inner inner{&c, row};
      qcrt_parallel_for(
          c.pool, 50, 1,
          [](void *q, int64_t b, int64_t e) {
            Inner &in = *static_cast<Inner *>(q);
            for (int64_t i = b; i < e; ++i)
              in.ctx->hits[size_t(in.row * 50 + i)].fetch_add(1);
          },
          &inner);
    }
  };
  qcrt_parallel_for(pool.get(), 100, 1, outer, &ctx);
  for (auto &h : ctx.hits)
    ASSERT_EQ(h.load(), 1);
}

TEST(QcrtParallelFor, ConcurrentCallersOnOnePool) {
  PoolPtr pool(createPool(3));
  ASSERT_TRUE(pool);
  std::vector<std::thread> callers;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&] {
      for (int round = 0; round < 200; ++round) {
        Coverage c(257);
        qcrt_parallel_for(pool.get(), 257, 3, Coverage::task, &c);
        for (auto &h : c.hits)
          if (h.load() != 1)
            failures.fetch_add(1);
      }
    });
  }
  for (auto &t : callers)
    t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(QcrtParallelFor, PoolLimits) {
  EXPECT_EQ(createPool(1), nullptr);
  EXPECT_NE(std::string(qcrt_last_error()).find("threads"), std::string::npos);
  EXPECT_EQ(createPool(kMaxThreads + 1), nullptr);
  EXPECT_EQ(poolThreads(nullptr), 1);
  EXPECT_GE(availableCpus(), 1);
}

TEST(QcrtParallelFor, CreateAndDestroyRepeatedly) {
  // Destroying right after creation must not lose a worker that has not
  // started waiting yet.
  for (int i = 0; i < 200; ++i) {
    qcrt_pool *pool = createPool(2 + i % 4);
    ASSERT_TRUE(pool);
    if (i % 2) {
      Coverage c(10);
      qcrt_parallel_for(pool, 10, 1, Coverage::task, &c);
    }
    destroyPool(pool);
  }
}

} // namespace
