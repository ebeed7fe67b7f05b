//===- ElementwiseKernelsTest.cpp - executor elementwise kernels ----------===//
//
// Part of quantc. Runs small qc functions through the executor and checks
// the elementwise kernels against hand-computed values or a direct formula.
//
//===----------------------------------------------------------------------===//

#include "ExecutorTestUtil.h"

#include "qc/Dialect/QC/Utils/Numerics.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::testing;

namespace {

class ElementwiseKernelTest : public ExecutorFixture {
protected:
  ElementwiseKernelTest() : ExecutorFixture(/*threads=*/1, /*function=*/"f") {}
};

TEST_F(ElementwiseKernelTest, AddBroadcastsLikeNumPy) {
  const char *src = R"mlir(
    func.func @f(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %c: tensor<2x1xf32>)
        -> (tensor<2x3xf32>, tensor<2x3xf32>) {
      %0 = qc.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
      %1 = qc.sub %c, %b : (tensor<2x1xf32>, tensor<3xf32>) -> tensor<2x3xf32>
      return %0, %1 : tensor<2x3xf32>, tensor<2x3xf32>
    })mlir";
  auto out = run(src, {f32({2, 3}, {1, 2, 3, 4, 5, 6}), f32({3}, {10, 20, 30}),
                       f32({2, 1}, {100, 200})});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(elems<float>(out[0]),
            (std::vector<float>{11, 22, 33, 14, 25, 36}));
  EXPECT_EQ(elems<float>(out[1]),
            (std::vector<float>{90, 80, 70, 190, 180, 170}));
}

TEST_F(ElementwiseKernelTest, BroadcastRank4MatchesIndexFormula) {
  // [2,1,3,1] * [4,1,5] -> [2,4,3,5], on several threads with a large grain
  // boundary crossing rows.
  const char *src = R"mlir(
    func.func @f(%a: tensor<2x1x3x1xf32>, %b: tensor<4x1x5xf32>) -> tensor<2x4x3x5xf32> {
      %0 = qc.mul %a, %b : (tensor<2x1x3x1xf32>, tensor<4x1x5xf32>) -> tensor<2x4x3x5xf32>
      return %0 : tensor<2x4x3x5xf32>
    })mlir";
  std::vector<float> a(6), b(20);
  for (int i = 0; i < 6; ++i)
    a[i] = i + 1;
  for (int i = 0; i < 20; ++i)
    b[i] = 0.5f * i - 3;
  auto out = run(src, {f32({2, 1, 3, 1}, a), f32({4, 1, 5}, b)}, /*threads=*/4);
  ASSERT_EQ(out.size(), 1u);
  const float *z = out[0].data<float>();
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j)
      for (int k = 0; k < 3; ++k)
        for (int l = 0; l < 5; ++l)
          EXPECT_EQ(z[((i * 4 + j) * 3 + k) * 5 + l],
                    a[i * 3 + k] * b[j * 5 + l]);
}

TEST_F(ElementwiseKernelTest, LargeBroadcastOnThreads) {
  const char *src = R"mlir(
    func.func @f(%a: tensor<64x1x333xf32>, %b: tensor<1x50x1xf32>) -> tensor<64x50x333xf32> {
      %0 = qc.add %a, %b : (tensor<64x1x333xf32>, tensor<1x50x1xf32>) -> tensor<64x50x333xf32>
      return %0 : tensor<64x50x333xf32>
    })mlir";
  std::vector<float> a(64 * 333), b(50);
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = static_cast<float>(i % 1000);
  for (size_t i = 0; i < b.size(); ++i)
    b[i] = static_cast<float>(i) * 1000.0f;
  auto out =
      run(src, {f32({64, 1, 333}, a), f32({1, 50, 1}, b)}, /*threads=*/4);
  ASSERT_EQ(out.size(), 1u);
  const float *z = out[0].data<float>();
  int64_t bad = 0;
  for (int i = 0; i < 64; ++i)
    for (int j = 0; j < 50; ++j)
      for (int k = 0; k < 333; ++k)
        bad += z[(i * 50 + j) * 333 + k] != a[i * 333 + k] + b[j];
  EXPECT_EQ(bad, 0);
}

TEST_F(ElementwiseKernelTest, FloatUnaryFunctions) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<9xf32>) -> (tensor<9xf32>, tensor<9xf32>, tensor<9xf32>,
        tensor<9xf32>, tensor<9xf32>, tensor<9xf32>, tensor<9xf32>, tensor<9xf32>,
        tensor<9xf32>, tensor<9xf32>, tensor<9xf32>, tensor<9xf32>, tensor<9xf32>) {
      %0 = qc.sigmoid %x : tensor<9xf32>
      %1 = qc.tanh %x : tensor<9xf32>
      %2 = qc.silu %x : tensor<9xf32>
      %3 = qc.hardswish %x : tensor<9xf32>
      %4 = qc.softplus %x : tensor<9xf32>
      %5 = qc.exp %x : tensor<9xf32>
      %6 = qc.erf %x : tensor<9xf32>
      %7 = qc.gelu %x : tensor<9xf32>
      %8 = qc.gelu %x {approximate = #qc<gelu_approx tanh>} : tensor<9xf32>
      %9 = qc.leaky_relu %x {alpha = 0.1 : f64} : tensor<9xf32>
      %10 = qc.elu %x {alpha = 0.5 : f64} : tensor<9xf32>
      %11 = qc.hardsigmoid %x : tensor<9xf32>
      %12 = qc.sin %x : tensor<9xf32>
      return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12
        : tensor<9xf32>, tensor<9xf32>, tensor<9xf32>, tensor<9xf32>, tensor<9xf32>,
          tensor<9xf32>, tensor<9xf32>, tensor<9xf32>, tensor<9xf32>, tensor<9xf32>,
          tensor<9xf32>, tensor<9xf32>, tensor<9xf32>
    })mlir";
  std::vector<float> x = {-100.0f, -4.0f, -1.5f, -0.25f, 0.0f,
                          0.5f,    2.0f,  3.5f,  100.0f};
  auto out = run(src, {f32({9}, x)});
  ASSERT_EQ(out.size(), 13u);
  std::vector<std::function<double(double)>> refs = {
      [](double v) { return 1 / (1 + std::exp(-v)); },
      [](double v) { return std::tanh(v); },
      [](double v) { return v / (1 + std::exp(-v)); },
      [](double v) { return v * std::max(0.0, std::min(1.0, v / 6 + 0.5)); },
      [](double v) { return std::log1p(std::exp(v)); },
      [](double v) { return std::exp(v); },
      [](double v) { return std::erf(v); },
      [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); },
      [](double v) {
        return 0.5 * v *
               (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
      },
      [](double v) { return v >= 0 ? v : 0.1 * v; },
      [](double v) { return v >= 0 ? v : 0.5 * (std::exp(v) - 1); },
      [](double v) { return std::max(0.0, std::min(1.0, 0.2 * v + 0.5)); },
      [](double v) { return std::sin(v); },
  };
  for (size_t k = 0; k < refs.size(); ++k)
    for (size_t i = 0; i < x.size(); ++i) {
      double want = refs[k](x[i]);
      float got = out[k].data<float>()[i];
      if (std::isinf(static_cast<float>(want))) {
        EXPECT_EQ(got, static_cast<float>(want)) << "function " << k;
        continue;
      }
      // A few float ulps of the result; the absolute term covers the
      // cancellation in 1 + erf(x) (gelu) for negative x.
      EXPECT_NEAR(got, want, 4e-7 * std::fabs(want) + 1e-6)
          << "function " << k << " at x = " << x[i];
    }
  // softplus(100) must not overflow to inf.
  EXPECT_FLOAT_EQ(out[4].data<float>()[8], 100.0f);
}

TEST_F(ElementwiseKernelTest, RoundingFunctions) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
      %0 = qc.round %x : tensor<8xf32>
      %1 = qc.floor %x : tensor<8xf32>
      %2 = qc.ceil %x : tensor<8xf32>
      %3 = qc.sign %x : tensor<8xf32>
      %4 = qc.abs %x : tensor<8xf32>
      return %0, %1, %2, %3, %4 : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
    })mlir";
  auto out = run(src, {f32({8}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.7f, 3.2f, 0.0f})});
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(elems<float>(out[0]),
            (std::vector<float>{0, 2, 2, -0.0f, -2, -3, 3, 0}));
  EXPECT_TRUE(std::signbit(out[0].data<float>()[3]));
  EXPECT_EQ(elems<float>(out[1]),
            (std::vector<float>{0, 1, 2, -1, -2, -3, 3, 0}));
  EXPECT_EQ(elems<float>(out[2]),
            (std::vector<float>{1, 2, 3, -0.0f, -1, -2, 4, 0}));
  EXPECT_EQ(elems<float>(out[3]),
            (std::vector<float>{1, 1, 1, -1, -1, -1, 1, 0}));
  EXPECT_EQ(elems<float>(out[4]),
            (std::vector<float>{0.5f, 1.5f, 2.5f, 0.5f, 1.5f, 2.7f, 3.2f, 0}));
}

TEST_F(ElementwiseKernelTest, IntegerArithmeticWraps) {
  const char *src = R"mlir(
    func.func @f(%a: tensor<4xi8>, %b: tensor<4xi8>) -> (tensor<4xi8>, tensor<4xi8>, tensor<4xi8>, tensor<4xi8>, tensor<4xi8>, tensor<4xi8>) {
      %0 = qc.add %a, %b : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
      %1 = qc.sub %a, %b : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
      %2 = qc.mul %a, %b : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
      %3 = qc.neg %a : tensor<4xi8>
      %4 = qc.abs %a : tensor<4xi8>
      %5 = qc.sign %a : tensor<4xi8>
      return %0, %1, %2, %3, %4, %5 : tensor<4xi8>, tensor<4xi8>, tensor<4xi8>, tensor<4xi8>, tensor<4xi8>, tensor<4xi8>
    })mlir";
  auto out = run(src, {makeTensor<int8_t>(DType::I8, {4}, {100, -128, 7, 0}),
                       makeTensor<int8_t>(DType::I8, {4}, {100, 1, -3, 5})});
  ASSERT_EQ(out.size(), 6u);
  EXPECT_EQ(elems<int8_t>(out[0]), (std::vector<int8_t>{-56, -127, 4, 5}));
  EXPECT_EQ(elems<int8_t>(out[1]), (std::vector<int8_t>{0, 127, 10, -5}));
  EXPECT_EQ(elems<int8_t>(out[2]), (std::vector<int8_t>{16, -128, -21, 0}));
  EXPECT_EQ(elems<int8_t>(out[3]), (std::vector<int8_t>{-100, -128, -7, 0}));
  EXPECT_EQ(elems<int8_t>(out[4]), (std::vector<int8_t>{100, -128, 7, 0}));
  EXPECT_EQ(elems<int8_t>(out[5]), (std::vector<int8_t>{1, -1, 1, 0}));
}

TEST_F(ElementwiseKernelTest, DivAndModSemantics) {
  const char *src = R"mlir(
    func.func @f(%a: tensor<6xi32>, %b: tensor<6xi32>, %x: tensor<4xf32>, %y: tensor<4xf32>)
        -> (tensor<6xi32>, tensor<6xi32>, tensor<4xf32>, tensor<4xf32>) {
      %0 = qc.div %a, %b : (tensor<6xi32>, tensor<6xi32>) -> tensor<6xi32>
      %1 = qc.mod %a, %b : (tensor<6xi32>, tensor<6xi32>) -> tensor<6xi32>
      %2 = qc.mod %x, %y : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
      %3 = qc.div %x, %y : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
      return %0, %1, %2, %3 : tensor<6xi32>, tensor<6xi32>, tensor<4xf32>, tensor<4xf32>
    })mlir";
  int32_t minI32 = std::numeric_limits<int32_t>::min();
  auto out = run(src, {makeTensor<int32_t>(DType::I32, {6}, {7, -7, 7, -7, minI32, 6}),
                       makeTensor<int32_t>(DType::I32, {6}, {2, 2, -2, -2, -1, 3}),
                       f32({4}, {-7.5f, 7.5f, 5.0f, 1.0f}),
                       f32({4}, {2.0f, -2.0f, 2.5f, 0.0f})});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(elems<int32_t>(out[0]),
            (std::vector<int32_t>{3, -3, -3, 3, minI32, 2}));
  EXPECT_EQ(elems<int32_t>(out[1]), (std::vector<int32_t>{1, 1, -1, -1, 0, 0}));
  EXPECT_FLOAT_EQ(out[2].data<float>()[0], 0.5f);
  EXPECT_FLOAT_EQ(out[2].data<float>()[1], -0.5f);
  EXPECT_FLOAT_EQ(out[2].data<float>()[2], 0.0f);
  EXPECT_TRUE(std::isnan(out[2].data<float>()[3]));
  EXPECT_TRUE(std::isinf(out[3].data<float>()[3]));
}

TEST_F(ElementwiseKernelTest, IntegerDivisionByZeroIsARunTimeError) {
  const char *src = R"mlir(
    func.func @f(%a: tensor<3xi64>, %b: tensor<3xi64>) -> tensor<3xi64> {
      %0 = qc.div %a, %b : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
      return %0 : tensor<3xi64>
    })mlir";
  std::string error = runExpectingFailure(
      src, {makeTensor<int64_t>(DType::I64, {3}, {1, 2, 3}),
            makeTensor<int64_t>(DType::I64, {3}, {1, 0, 1})});
  EXPECT_NE(error.find("'qc.div' failed: integer division by zero"),
            std::string::npos)
      << error;

  const char *modSrc = R"mlir(
    func.func @f(%a: tensor<3xi64>, %b: tensor<3xi64>) -> tensor<3xi64> {
      %0 = qc.mod %a, %b : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
      return %0 : tensor<3xi64>
    })mlir";
  error = runExpectingFailure(
      modSrc, {makeTensor<int64_t>(DType::I64, {3}, {1, 2, 3}),
               makeTensor<int64_t>(DType::I64, {3}, {1, 0, 1})});
  EXPECT_NE(error.find("integer modulo by zero"), std::string::npos) << error;
}

TEST_F(ElementwiseKernelTest, MaxMinPowPropagateNaN) {
  const char *src = R"mlir(
    func.func @f(%a: tensor<3xf32>, %b: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) {
      %0 = qc.max %a, %b : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
      %1 = qc.min %a, %b : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
      %2 = qc.pow %a, %b : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
      return %0, %1, %2 : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>
    })mlir";
  float nan = std::numeric_limits<float>::quiet_NaN();
  auto out = run(src, {f32({3}, {1, nan, 2}), f32({3}, {3, 1, 0.5f})});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].data<float>()[0], 3);
  EXPECT_TRUE(std::isnan(out[0].data<float>()[1]));
  EXPECT_EQ(out[1].data<float>()[0], 1);
  EXPECT_TRUE(std::isnan(out[1].data<float>()[1]));
  EXPECT_FLOAT_EQ(out[2].data<float>()[2], std::sqrt(2.0f));
}

TEST_F(ElementwiseKernelTest, CompareLogicalAndWhere) {
  const char *src = R"mlir(
    func.func @f(%a: tensor<2x3xi32>, %b: tensor<3xi32>, %p: tensor<3xi1>, %q: tensor<3xi1>,
                 %x: tensor<2x3xf32>, %y: tensor<1xf32>)
        -> (tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<2x3xf32>) {
      %0 = qc.less %a, %b : (tensor<2x3xi32>, tensor<3xi32>) -> tensor<2x3xi1>
      %1 = qc.equal %a, %b : (tensor<2x3xi32>, tensor<3xi32>) -> tensor<2x3xi1>
      %2 = qc.greater_equal %a, %b : (tensor<2x3xi32>, tensor<3xi32>) -> tensor<2x3xi1>
      %3 = qc.and %p, %q : (tensor<3xi1>, tensor<3xi1>) -> tensor<3xi1>
      %4 = qc.or %p, %q : (tensor<3xi1>, tensor<3xi1>) -> tensor<3xi1>
      %5 = qc.xor %p, %q : (tensor<3xi1>, tensor<3xi1>) -> tensor<3xi1>
      %6 = qc.not %p : tensor<3xi1>
      %7 = qc.where %p, %x, %y : (tensor<3xi1>, tensor<2x3xf32>, tensor<1xf32>) -> tensor<2x3xf32>
      return %0, %1, %2, %3, %4, %5, %6, %7 : tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>,
        tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<2x3xf32>
    })mlir";
  auto out = run(src, {makeTensor<int32_t>(DType::I32, {2, 3}, {1, 5, 3, 4, 2, 6}),
                       makeTensor<int32_t>(DType::I32, {3}, {2, 2, 3}),
                       makeTensor<uint8_t>(DType::Bool, {3}, {1, 0, 1}),
                       makeTensor<uint8_t>(DType::Bool, {3}, {1, 1, 0}),
                       f32({2, 3}, {1, 2, 3, 4, 5, 6}), f32({1}, {-1})});
  ASSERT_EQ(out.size(), 8u);
  EXPECT_EQ(elems<uint8_t>(out[0]), (std::vector<uint8_t>{1, 0, 0, 0, 0, 0}));
  EXPECT_EQ(elems<uint8_t>(out[1]), (std::vector<uint8_t>{0, 0, 1, 0, 1, 0}));
  EXPECT_EQ(elems<uint8_t>(out[2]), (std::vector<uint8_t>{0, 1, 1, 1, 1, 1}));
  EXPECT_EQ(elems<uint8_t>(out[3]), (std::vector<uint8_t>{1, 0, 0}));
  EXPECT_EQ(elems<uint8_t>(out[4]), (std::vector<uint8_t>{1, 1, 1}));
  EXPECT_EQ(elems<uint8_t>(out[5]), (std::vector<uint8_t>{0, 1, 1}));
  EXPECT_EQ(elems<uint8_t>(out[6]), (std::vector<uint8_t>{0, 1, 0}));
  EXPECT_EQ(elems<float>(out[7]), (std::vector<float>{1, -1, 3, 4, -1, 6}));
}

TEST_F(ElementwiseKernelTest, CastSemantics) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<6xf32>, %i: tensor<3xi64>, %b: tensor<2xi1>)
        -> (tensor<6xi32>, tensor<6xi1>, tensor<6xi16>, tensor<3xf32>, tensor<3xf16>, tensor<2xf32>, tensor<3xi8>) {
      %0 = qc.cast %x : tensor<6xf32> -> tensor<6xi32>
      %1 = qc.cast %x : tensor<6xf32> -> tensor<6xi1>
      %2 = qc.cast %x : tensor<6xf32> -> tensor<6xi16>
      %3 = qc.cast %i : tensor<3xi64> -> tensor<3xf32>
      %4 = qc.cast %i : tensor<3xi64> -> tensor<3xf16>
      %5 = qc.cast %b : tensor<2xi1> -> tensor<2xf32>
      %6 = qc.cast %i : tensor<3xi64> -> tensor<3xi8>
      return %0, %1, %2, %3, %4, %5, %6 : tensor<6xi32>, tensor<6xi1>, tensor<6xi16>, tensor<3xf32>, tensor<3xf16>, tensor<2xf32>, tensor<3xi8>
    })mlir";
  float nan = std::numeric_limits<float>::quiet_NaN();
  // 2^24 + 1 is not a float: it rounds to nearest even (2^24).
  int64_t big = (int64_t(1) << 24) + 1;
  auto out = run(src, {f32({6}, {-2.7f, 2.7f, 0.0f, -0.0f, nan, 200.9f}),
                       makeTensor<int64_t>(DType::I64, {3}, {big, -3, 2049}),
                       makeTensor<uint8_t>(DType::Bool, {2}, {1, 0})});
  ASSERT_EQ(out.size(), 7u);
  auto i32 = elems<int32_t>(out[0]);
  EXPECT_EQ(i32[0], -2);
  EXPECT_EQ(i32[1], 2);
  EXPECT_EQ(i32[5], 200);
  EXPECT_EQ(elems<uint8_t>(out[1]), (std::vector<uint8_t>{1, 1, 0, 0, 1, 1}));
  EXPECT_EQ(out[2].data<int16_t>()[5], 200);
  EXPECT_EQ(elems<float>(out[3]), (std::vector<float>{16777216.0f, -3, 2049}));
  // 2049 is not a half: ties to even give 2048.
  EXPECT_EQ(halfToFloat(out[4].data<uint16_t>()[2]), 2048.0f);
  EXPECT_EQ(halfToFloat(out[4].data<uint16_t>()[1]), -3.0f);
  EXPECT_EQ(elems<float>(out[5]), (std::vector<float>{1, 0}));
  // Integer narrowing wraps: 2049 = 0x801 -> 1.
  EXPECT_EQ(elems<int8_t>(out[6]), (std::vector<int8_t>{1, -3, 1}));
}

TEST_F(ElementwiseKernelTest, HalfConversionsAreExact) {
  // Every half bit pattern to float, and floats around rounding boundaries
  // to half and bfloat16, compared with llvm::APFloat's conversions.
  const char *src = R"mlir(
    func.func @f(%h: tensor<65536xf16>, %x: tensor<4096xf32>)
        -> (tensor<65536xf32>, tensor<4096xf16>, tensor<4096xbf16>) {
      %0 = qc.cast %h : tensor<65536xf16> -> tensor<65536xf32>
      %1 = qc.cast %x : tensor<4096xf32> -> tensor<4096xf16>
      %2 = qc.cast %x : tensor<4096xf32> -> tensor<4096xbf16>
      return %0, %1, %2 : tensor<65536xf32>, tensor<4096xf16>, tensor<4096xbf16>
    })mlir";
  std::vector<uint16_t> halves(65536);
  for (int i = 0; i < 65536; ++i)
    halves[i] = static_cast<uint16_t>(i);
  std::vector<float> floats;
  std::mt19937 rng(7);
  // Ties and neighbours of ties between adjacent halves, subnormals,
  // overflow boundary, then random bit patterns.
  for (uint16_t h : {0x0001, 0x0002, 0x03ff, 0x0400, 0x3c00, 0x3c01, 0x7bff,
                     0x8001, 0xfbfe}) {
    float a = halfToFloat(h), b = halfToFloat(h + 1);
    float mid = (a + b) / 2;
    floats.push_back(mid);
    floats.push_back(std::nextafter(mid, 1e30f));
    floats.push_back(std::nextafter(mid, -1e30f));
  }
  for (float v : {65504.0f, 65519.99f, 65520.0f, 1e-8f, 3e-8f, -1e-9f})
    floats.push_back(v);
  while (floats.size() < 4096) {
    uint32_t bits = rng();
    float v;
    std::memcpy(&v, &bits, 4);
    floats.push_back(v);
  }
  auto out = run(src, {makeTensor<uint16_t>(DType::F16, {65536}, halves),
                       f32({4096}, floats)});
  ASSERT_EQ(out.size(), 3u);
  int bad = 0;
  for (int i = 0; i < 65536; ++i) {
    float want =
        apfloatFrom16(static_cast<uint16_t>(i), llvm::APFloat::IEEEhalf());
    float got = out[0].data<float>()[i];
    bad += std::isnan(want) ? !std::isnan(got)
                            : std::memcmp(&want, &got, 4) != 0;
  }
  EXPECT_EQ(bad, 0);
  for (size_t i = 0; i < floats.size(); ++i) {
    if (std::isnan(floats[i]))
      continue;
    llvm::APFloat f(floats[i]);
    EXPECT_EQ(out[1].data<uint16_t>()[i],
              apfloatTo16(f, llvm::APFloat::IEEEhalf()))
        << "float " << floats[i];
    EXPECT_EQ(out[2].data<uint16_t>()[i],
              apfloatTo16(f, llvm::APFloat::BFloat()))
        << "float " << floats[i];
  }
}

TEST_F(ElementwiseKernelTest, HalfArithmeticRoundsEachResult) {
  const char *src = R"mlir(
    func.func @f(%a: tensor<3xf16>, %b: tensor<3xf16>) -> tensor<3xf16> {
      %0 = qc.add %a, %b : (tensor<3xf16>, tensor<3xf16>) -> tensor<3xf16>
      return %0 : tensor<3xf16>
    })mlir";
  std::vector<uint16_t> a = {floatToHalf(2048), floatToHalf(2048),
                             floatToHalf(60000)};
  std::vector<uint16_t> b = {floatToHalf(1), floatToHalf(3),
                             floatToHalf(10000)};
  auto out = run(src, {makeTensor<uint16_t>(DType::F16, {3}, a),
                       makeTensor<uint16_t>(DType::F16, {3}, b)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(halfToFloat(out[0].data<uint16_t>()[0]), 2048.0f); // tie to even
  EXPECT_EQ(halfToFloat(out[0].data<uint16_t>()[1]), 2052.0f);
  EXPECT_TRUE(std::isinf(halfToFloat(out[0].data<uint16_t>()[2])));
}

TEST_F(ElementwiseKernelTest, QuantizedAddIsDequantizeAddRequantize) {
  const char *src = R"mlir(
    func.func @f(%a: tensor<2x4x!quant.uniform<i8:f32, 0.1:-3>>,
                 %b: tensor<4x!quant.uniform<i8:f32, 0.25:5>>)
        -> (tensor<2x4x!quant.uniform<i8:f32, 0.2:1>>, tensor<2x4x!quant.uniform<u8:f32, 0.05:128>>) {
      %0 = qc.add %a, %b : (tensor<2x4x!quant.uniform<i8:f32, 0.1:-3>>, tensor<4x!quant.uniform<i8:f32, 0.25:5>>)
           -> tensor<2x4x!quant.uniform<i8:f32, 0.2:1>>
      %1 = qc.mul %a, %b : (tensor<2x4x!quant.uniform<i8:f32, 0.1:-3>>, tensor<4x!quant.uniform<i8:f32, 0.25:5>>)
           -> tensor<2x4x!quant.uniform<u8:f32, 0.05:128>>
      return %0, %1 : tensor<2x4x!quant.uniform<i8:f32, 0.2:1>>, tensor<2x4x!quant.uniform<u8:f32, 0.05:128>>
    })mlir";
  std::vector<int8_t> a = {-128, -50, -3, 0, 17, 64, 100, 127};
  std::vector<int8_t> b = {-128, 5, 6, 127};
  auto out = run(src, {makeTensor<int8_t>(DType::I8, {2, 4}, a),
                       makeTensor<int8_t>(DType::I8, {4}, b)});
  ASSERT_EQ(out.size(), 2u);
  ASSERT_EQ(out[1].dtype(), DType::U8);
  for (int i = 0; i < 8; ++i) {
    float ra = numerics::dequantize(a[i], 0.1f, -3);
    float rb = numerics::dequantize(b[i % 4], 0.25f, 5);
    EXPECT_EQ(out[0].data<int8_t>()[i],
              numerics::quantize(ra + rb, 0.2f, 1, -128, 127))
        << i;
    EXPECT_EQ(out[1].data<uint8_t>()[i],
              numerics::quantize(ra * rb, 0.05f, 128, 0, 255))
        << i;
  }
  // Spot check by hand: (-50 + 3) * 0.1 + (5 - 5) * 0.25 = -4.7 -> -23.5
  // rounds half to even to -24, plus zero point 1.
  EXPECT_EQ(out[0].data<int8_t>()[1], -23);
}

TEST_F(ElementwiseKernelTest, QuantizedReluClipMaxOnTheIntegerGrid) {
  const char *src = R"mlir(
    func.func @f(%a: tensor<6x!quant.uniform<i8:f32, 0.1:-5>>, %b: tensor<6x!quant.uniform<i8:f32, 0.1:-5>>,
                 %u: tensor<3x!quant.uniform<u8:f32, 0.5:10>>)
        -> (tensor<6x!quant.uniform<i8:f32, 0.1:-5>>, tensor<6x!quant.uniform<i8:f32, 0.1:-5>>,
            tensor<6x!quant.uniform<i8:f32, 0.1:-5>>, tensor<3x!quant.uniform<u8:f32, 0.5:10>>) {
      %0 = qc.relu %a : tensor<6x!quant.uniform<i8:f32, 0.1:-5>>
      %1 = qc.clip %a {min = -0.25 : f64, max = 0.35 : f64} : tensor<6x!quant.uniform<i8:f32, 0.1:-5>>
      %2 = qc.max %a, %b : (tensor<6x!quant.uniform<i8:f32, 0.1:-5>>, tensor<6x!quant.uniform<i8:f32, 0.1:-5>>)
           -> tensor<6x!quant.uniform<i8:f32, 0.1:-5>>
      %3 = qc.clip %u {min = 100.0 : f64} : tensor<3x!quant.uniform<u8:f32, 0.5:10>>
      return %0, %1, %2, %3 : tensor<6x!quant.uniform<i8:f32, 0.1:-5>>, tensor<6x!quant.uniform<i8:f32, 0.1:-5>>,
        tensor<6x!quant.uniform<i8:f32, 0.1:-5>>, tensor<3x!quant.uniform<u8:f32, 0.5:10>>
    })mlir";
  auto out = run(src, {makeTensor<int8_t>(DType::I8, {6}, {-128, -8, -6, -5, 0, 127}),
                       makeTensor<int8_t>(DType::I8, {6}, {0, -9, 3, -128, 1, 126}),
                       makeTensor<uint8_t>(DType::U8, {3}, {0, 200, 255})});
  ASSERT_EQ(out.size(), 4u);
  // relu: max(q, zero point).
  EXPECT_EQ(elems<int8_t>(out[0]), (std::vector<int8_t>{-5, -5, -5, -5, 0, 127}));
  // clip: the bounds map through quantize: -0.25f / 0.1f rounds to -2.5 in
  // float, then half to even to -2, plus the zero point.
  int8_t lo = static_cast<int8_t>(numerics::quantize(-0.25f, 0.1f, -5, -128, 127));
  int8_t hi = static_cast<int8_t>(numerics::quantize(0.35f, 0.1f, -5, -128, 127));
  EXPECT_EQ(lo, -7);
  std::vector<int8_t> clipped;
  for (int8_t v : {-128, -8, -6, -5, 0, 127})
    clipped.push_back(std::min(std::max(v, lo), hi));
  EXPECT_EQ(elems<int8_t>(out[1]), clipped);
  EXPECT_EQ(elems<int8_t>(out[2]), (std::vector<int8_t>{0, -8, 3, -5, 1, 127}));
  // min = 100 maps to 210 on the u8 grid; max is unbounded (255).
  EXPECT_EQ(elems<uint8_t>(out[3]), (std::vector<uint8_t>{210, 210, 255}));
}

TEST_F(ElementwiseKernelTest, FloatClipAndIntegerClip) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<4xf64>, %i: tensor<4xi16>) -> (tensor<4xf64>, tensor<4xi16>, tensor<4xi16>) {
      %0 = qc.clip %x {min = 0.0 : f64, max = 6.0 : f64} : tensor<4xf64>
      %1 = qc.clip %i {min = -2.5 : f64, max = 3.5 : f64} : tensor<4xi16>
      %2 = qc.relu %i : tensor<4xi16>
      return %0, %1, %2 : tensor<4xf64>, tensor<4xi16>, tensor<4xi16>
    })mlir";
  auto out = run(src, {makeTensor<double>(DType::F64, {4}, {-1, 2.5, 6.5, 6}),
                       makeTensor<int16_t>(DType::I16, {4}, {-300, -2, 3, 300})});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(elems<double>(out[0]), (std::vector<double>{0, 2.5, 6, 6}));
  EXPECT_EQ(elems<int16_t>(out[1]), (std::vector<int16_t>{-2, -2, 3, 3}));
  EXPECT_EQ(elems<int16_t>(out[2]), (std::vector<int16_t>{0, 0, 3, 300}));
}

} // namespace
