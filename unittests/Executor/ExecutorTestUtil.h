//===- ExecutorTestUtil.h - shared fixture for executor tests ---*- C++ -*-===//
//
// Part of quantc. Every executor test parses a small module from a string,
// runs one of its functions on the reference executor and compares the
// outputs with values computed in the test. This header holds the fixture
// that does the parsing and running, and the tensor helpers the tests share.
//
//===----------------------------------------------------------------------===//

#ifndef QC_UNITTESTS_EXECUTOR_EXECUTORTESTUTIL_H
#define QC_UNITTESTS_EXECUTOR_EXECUTORTESTUTIL_H

#include "qc/Executor/Executor.h"
#include "qc/InitAll.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/APFloat.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace mlir::qc::testing {

//===----------------------------------------------------------------------===//
// Fixture
//===----------------------------------------------------------------------===//

/// How ExecutorFixture runs a program unless a call says otherwise.
struct RunOptions {
  /// Executor threads.
  unsigned threads = 1;
  /// The func.func to run; the module's first function when empty.
  std::string function;
};

/// A context with every quantc dialect loaded and its diagnostics collected
/// in `diagnostics` (so that they end up in the failure message of the test
/// that caused them), plus helpers that parse a module and run a function.
class ExecutorFixture : public ::testing::Test {
protected:
  /// Runs on `threads` threads the function named `function` (the first
  /// one when empty) unless a call says otherwise.
  explicit ExecutorFixture(unsigned threads = 1, std::string function = {})
      : defaults{threads, std::move(function)} {
    DialectRegistry registry;
    registerAllDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
    context.getDiagEngine().registerHandler([this](Diagnostic &d) {
      diagnostics += d.str() + "\n";
      return success();
    });
  }

  /// Parses `src` into `module` and returns the function `defaults` names;
  /// null when parsing fails or there is no such function.
  func::FuncOp parse(StringRef src) {
    module = parseSourceString<ModuleOp>(src, &context);
    if (!module)
      return nullptr;
    if (!defaults.function.empty())
      return module->lookupSymbol<func::FuncOp>(defaults.function);
    auto funcs = module->getOps<func::FuncOp>();
    return funcs.empty() ? nullptr : *funcs.begin();
  }

  /// Parses `src` and runs its function on `inputs` (on `threads` threads,
  /// or the fixture's default). A run-time failure returns failure() with
  /// the executor's message in `error`; failing to parse the program or to
  /// create the executor also fails the test.
  FailureOr<std::vector<Tensor>> tryRun(StringRef src,
                                        std::vector<Tensor> inputs,
                                        std::string &error,
                                        std::optional<unsigned> threads = {}) {
    FailureOr<std::unique_ptr<Executor>> exe = createExecutor(src, threads);
    if (failed(exe)) {
      error = "the test program did not get to run";
      return failure();
    }
    return (*exe)->run(inputs, error);
  }

  /// Like tryRun, but a failed run fails the test; returns the outputs, or
  /// none after a failure.
  std::vector<Tensor> run(StringRef src, std::vector<Tensor> inputs,
                          std::optional<unsigned> threads = {}) {
    FailureOr<std::unique_ptr<Executor>> exe = createExecutor(src, threads);
    if (failed(exe))
      return {};
    std::string error;
    FailureOr<std::vector<Tensor>> out = (*exe)->run(inputs, error);
    if (failed(out)) {
      ADD_FAILURE() << "the run failed: " << error;
      return {};
    }
    return std::move(*out);
  }

  /// Runs a program whose run must fail (the test fails if it succeeds);
  /// returns the executor's message.
  std::string runExpectingFailure(StringRef src, std::vector<Tensor> inputs,
                                  std::optional<unsigned> threads = {}) {
    FailureOr<std::unique_ptr<Executor>> exe = createExecutor(src, threads);
    if (failed(exe))
      return {};
    std::string error;
    EXPECT_TRUE(failed((*exe)->run(inputs, error)))
        << "expected the run to fail";
    return error;
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
  std::string diagnostics;
  RunOptions defaults;

private:
  FailureOr<std::unique_ptr<Executor>>
  createExecutor(StringRef src, std::optional<unsigned> threads) {
    func::FuncOp func = parse(src);
    if (!func) {
      ADD_FAILURE() << "cannot parse the test program or find its function\n"
                    << diagnostics << src.str();
      return failure();
    }
    ExecutorOptions options;
    options.numThreads = threads.value_or(defaults.threads);
    FailureOr<std::unique_ptr<Executor>> exe = Executor::create(func, options);
    if (failed(exe))
      ADD_FAILURE() << "cannot create the executor\n" << diagnostics;
    return exe;
  }
};

//===----------------------------------------------------------------------===//
// Building tensors
//===----------------------------------------------------------------------===//

/// A tensor of `dtype` holding `values` bit for bit (T is its storage type).
template <typename T>
Tensor makeTensor(DType dtype, ArrayRef<int64_t> shape,
                  const std::vector<T> &values) {
  Tensor t(dtype, shape);
  EXPECT_EQ(t.byteSize(), values.size() * sizeof(T));
  if (t.byteSize() == values.size() * sizeof(T))
    std::memcpy(t.raw(), values.data(), t.byteSize());
  return t;
}

inline Tensor f32(ArrayRef<int64_t> shape, const std::vector<float> &values) {
  return makeTensor(DType::F32, shape, values);
}

/// A tensor of integer (or bool) `dtype` holding `values`, each converted
/// to the dtype. T defaults to int64_t so that a braced list works too.
template <typename T = int64_t>
Tensor intTensor(DType dtype, ArrayRef<int64_t> shape,
                 const std::vector<T> &values) {
  Tensor t(dtype, shape);
  EXPECT_EQ(static_cast<size_t>(t.numElements()), values.size());
  for (size_t i = 0; i < values.size() && i < size_t(t.numElements()); ++i)
    t.setFromDouble(i, static_cast<double>(values[i]));
  return t;
}

/// 1, 2, 3, ... in an f32 tensor of `shape`.
inline Tensor iota(ArrayRef<int64_t> shape) {
  int64_t n = std::accumulate(shape.begin(), shape.end(), int64_t(1),
                              std::multiplies<int64_t>());
  std::vector<float> v(n);
  std::iota(v.begin(), v.end(), 1.0f);
  return f32(shape, v);
}

/// `n` draws from `dist`, the same for the same seed.
template <typename Dist>
std::vector<typename Dist::result_type> randomValues(size_t n, unsigned seed,
                                                     Dist dist) {
  std::mt19937 gen(seed);
  std::vector<typename Dist::result_type> v(n);
  for (auto &x : v)
    x = dist(gen);
  return v;
}

/// `n` floats uniform in [lo, hi).
inline std::vector<float> randomFloats(size_t n, unsigned seed,
                                       float lo = -1.0f, float hi = 1.0f) {
  return randomValues(n, seed, std::uniform_real_distribution<float>(lo, hi));
}

/// `n` integers uniform in [lo, hi].
inline std::vector<int> randomInts(size_t n, unsigned seed, int lo, int hi) {
  return randomValues(n, seed, std::uniform_int_distribution<int>(lo, hi));
}

//===----------------------------------------------------------------------===//
// Reading and comparing tensors
//===----------------------------------------------------------------------===//

/// The elements of `t` as its storage type T.
template <typename T> std::vector<T> elems(const Tensor &t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.numElements());
}

/// Expects every element of `got` (any dtype, read as double) within
/// absTol + relTol * |want[i]| of want[i].
inline void expectNear(const Tensor &got, const std::vector<double> &want,
                       double absTol, double relTol = 0.0) {
  ASSERT_EQ(got.numElements(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(got.getAsDouble(i), want[i],
                absTol + relTol * std::fabs(want[i]))
        << "element " << i;
}

/// The float tolerance of the contraction and transformer tests: 1e-5
/// absolute plus 1e-5 relative by default.
inline void expectClose(const Tensor &got, const std::vector<double> &want,
                        double tol = 1e-5) {
  expectNear(got, want, tol, tol);
}

//===----------------------------------------------------------------------===//
// Reference half / bfloat16 conversions
//===----------------------------------------------------------------------===//

// llvm::APFloat's conversions, which Tensor.h's bit-level ones must match.

/// `v` rounded to nearest even in `sem` (IEEEhalf or BFloat), as bits.
inline uint16_t apfloatTo16(llvm::APFloat v, const llvm::fltSemantics &sem) {
  bool lost;
  v.convert(sem, llvm::APFloat::rmNearestTiesToEven, &lost);
  return static_cast<uint16_t>(v.bitcastToAPInt().getZExtValue());
}

/// The 16-bit `sem` value with bits `bits` as float (exact).
inline float apfloatFrom16(uint16_t bits, const llvm::fltSemantics &sem) {
  llvm::APFloat v(sem, llvm::APInt(16, bits));
  bool lost;
  v.convert(llvm::APFloat::IEEEsingle(), llvm::APFloat::rmNearestTiesToEven,
            &lost);
  return v.convertToFloat();
}

} // namespace mlir::qc::testing

#endif // QC_UNITTESTS_EXECUTOR_EXECUTORTESTUTIL_H
