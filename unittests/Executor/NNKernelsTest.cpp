//===- NNKernelsTest.cpp - executor softmax/norm/reduce/pool kernels ------===//
//
// Part of quantc. Checks the NN kernels against hand-computed values and
// direct reference formulas written out in the tests. Float comparisons allow
// 1e-6 absolute plus a per-test relative tolerance.
//
//===----------------------------------------------------------------------===//

#include "ExecutorTestUtil.h"

#include "qc/Dialect/QC/Utils/Numerics.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::testing;

namespace {

class NNKernelTest : public ExecutorFixture {
protected:
  NNKernelTest() : ExecutorFixture(/*threads=*/1, /*function=*/"f") {}
};

TEST_F(NNKernelTest, SoftmaxAndLogSoftmaxAlongAMiddleAxis) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<2x3x2xf32>) -> (tensor<2x3x2xf32>, tensor<2x3x2xf32>) {
      %0 = qc.softmax %x {axis = 1 : i64} : tensor<2x3x2xf32>
      %1 = qc.log_softmax %x {axis = -2 : i64} : tensor<2x3x2xf32>
      return %0, %1 : tensor<2x3x2xf32>, tensor<2x3x2xf32>
    })mlir";
  // Large values must not overflow exp.
  std::vector<float> x = {1, 1000, 2, 1001, 3, 1002, -1, 0, 0, 0, 1, 0};
  auto out = run(src, {f32({2, 3, 2}, x)});
  ASSERT_EQ(out.size(), 2u);
  std::vector<double> soft(12), logSoft(12);
  for (int o = 0; o < 2; ++o)
    for (int i = 0; i < 2; ++i) {
      double m = -INFINITY, sum = 0;
      for (int k = 0; k < 3; ++k)
        m = std::max<double>(m, x[(o * 3 + k) * 2 + i]);
      for (int k = 0; k < 3; ++k)
        sum += std::exp(x[(o * 3 + k) * 2 + i] - m);
      for (int k = 0; k < 3; ++k) {
        int idx = (o * 3 + k) * 2 + i;
        soft[idx] = std::exp(x[idx] - m) / sum;
        logSoft[idx] = x[idx] - m - std::log(sum);
      }
    }
  expectNear(out[0], soft, 1e-6, 1e-6);
  expectNear(out[1], logSoft, 1e-6, 1e-6);
}

TEST_F(NNKernelTest, LayerNormRmsNormInstanceNorm) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<2x2x3xf32>, %g: tensor<3xf32>, %b: tensor<2x1xf32>, %c: tensor<2xf32>, %d: tensor<2xf32>)
        -> (tensor<2x2x3xf32>, tensor<2x2x3xf32>, tensor<2x2x3xf32>, tensor<2x2x3xf32>) {
      %0 = qc.layer_norm %x scale %g {epsilon = 1.0e-05 : f64} : (tensor<2x2x3xf32>, tensor<3xf32>) -> tensor<2x2x3xf32>
      %1 = qc.layer_norm %x scale %g bias %b {axis = 1 : i64, epsilon = 0.5 : f64}
           : (tensor<2x2x3xf32>, tensor<3xf32>, tensor<2x1xf32>) -> tensor<2x2x3xf32>
      %2 = qc.rms_norm %x scale %g {epsilon = 1.0e-06 : f64} : (tensor<2x2x3xf32>, tensor<3xf32>) -> tensor<2x2x3xf32>
      %3 = qc.instance_norm %x, %c, %d {epsilon = 1.0e-05 : f64}
           : (tensor<2x2x3xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<2x2x3xf32>
      return %0, %1, %2, %3 : tensor<2x2x3xf32>, tensor<2x2x3xf32>, tensor<2x2x3xf32>, tensor<2x2x3xf32>
    })mlir";
  std::vector<float> x = {1, 2, 4, -1, 0, 7, 3, 3, 3, 0.5, -2, 10};
  std::vector<float> g = {1, 2, 0.5}, b = {10, 20}, c = {2, 3}, d = {-1, 1};
  auto out = run(src, {f32({2, 2, 3}, x), f32({3}, g), f32({2, 1}, b),
                       f32({2}, c), f32({2}, d)});
  ASSERT_EQ(out.size(), 4u);
  // Normalises `n` elements at `base`, then applies per-element scale/bias.
  auto norm = [&](int base, int n, double eps, bool rms, auto scaleBias,
                  std::vector<double> &res) {
    double mean = 0, var = 0;
    for (int k = 0; k < n; ++k)
      mean += x[base + k];
    mean = rms ? 0 : mean / n;
    for (int k = 0; k < n; ++k)
      var += (x[base + k] - mean) * (x[base + k] - mean);
    var /= n;
    for (int k = 0; k < n; ++k) {
      auto [s, o] = scaleBias(k);
      res[base + k] = (x[base + k] - mean) / std::sqrt(var + eps) * s + o;
    }
  };
  std::vector<double> ln(12), ln1(12), rms(12), inst(12);
  for (int r = 0; r < 4; ++r) {
    norm(r * 3, 3, 1e-5, false,
         [&](int k) { return std::make_pair<double, double>(g[k], 0); }, ln);
    norm(r * 3, 3, 1e-6, true,
         [&](int k) { return std::make_pair<double, double>(g[k], 0); }, rms);
    norm(r * 3, 3, 1e-5, false,
         [&](int) { return std::make_pair<double, double>(c[r % 2], d[r % 2]); },
         inst);
  }
  for (int r = 0; r < 2; ++r)
    norm(r * 6, 6, 0.5, false,
         [&](int k) {
           return std::make_pair<double, double>(g[k % 3], b[k / 3]);
         },
         ln1);
  expectNear(out[0], ln, 1e-6, 1e-5);
  expectNear(out[1], ln1, 1e-6, 1e-5);
  expectNear(out[2], rms, 1e-6, 1e-5);
  expectNear(out[3], inst, 1e-6, 1e-5);
}

TEST_F(NNKernelTest, FloatReductions) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<2x3x2xf32>) -> (tensor<2x1x2xf32>, tensor<3xf32>, tensor<2x2xf32>, tensor<2x2xf32>,
        tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>) {
      %0 = qc.reduce %x {kind = #qc<reduce_kind sum>, axes = array<i64: 1>} : tensor<2x3x2xf32> -> tensor<2x1x2xf32>
      %1 = qc.reduce %x {kind = #qc<reduce_kind mean>, axes = array<i64: 0, 2>, keepdims = false} : tensor<2x3x2xf32> -> tensor<3xf32>
      %2 = qc.reduce %x {kind = #qc<reduce_kind max>, axes = array<i64: 1>, keepdims = false} : tensor<2x3x2xf32> -> tensor<2x2xf32>
      %3 = qc.reduce %x {kind = #qc<reduce_kind min>, axes = array<i64: 1>, keepdims = false} : tensor<2x3x2xf32> -> tensor<2x2xf32>
      %4 = qc.reduce %x {kind = #qc<reduce_kind prod>, axes = array<i64: 1>, keepdims = false} : tensor<2x3x2xf32> -> tensor<2x2xf32>
      %5 = qc.reduce %x {kind = #qc<reduce_kind l1>, axes = array<i64: 1>, keepdims = false} : tensor<2x3x2xf32> -> tensor<2x2xf32>
      %6 = qc.reduce %x {kind = #qc<reduce_kind l2>, axes = array<i64: 1>, keepdims = false} : tensor<2x3x2xf32> -> tensor<2x2xf32>
      %7 = qc.reduce %x {kind = #qc<reduce_kind sum_square>, axes = array<i64: 1>, keepdims = false} : tensor<2x3x2xf32> -> tensor<2x2xf32>
      %8 = qc.reduce %x {kind = #qc<reduce_kind log_sum>, axes = array<i64: 1>, keepdims = false} : tensor<2x3x2xf32> -> tensor<2x2xf32>
      %9 = qc.reduce %x {kind = #qc<reduce_kind log_sum_exp>, axes = array<i64: 1>, keepdims = false} : tensor<2x3x2xf32> -> tensor<2x2xf32>
      return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9 : tensor<2x1x2xf32>, tensor<3xf32>, tensor<2x2xf32>, tensor<2x2xf32>,
        tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>
    })mlir";
  std::vector<float> x = {1, -2, 3, 4, 5, 0.5, 2, 2, -1, 3, 600, 1};
  auto out = run(src, {f32({2, 3, 2}, x)});
  ASSERT_EQ(out.size(), 10u);
  auto at = [&](int i, int j, int k) { return double(x[(i * 3 + j) * 2 + k]); };
  std::vector<double> sum, mx, mn, prod, l1, l2, ss, ls, lse;
  for (int i = 0; i < 2; ++i)
    for (int k = 0; k < 2; ++k) {
      double s = 0, p = 1, a = 0, q = 0, hi = -INFINITY, lo = INFINITY;
      for (int j = 0; j < 3; ++j) {
        double v = at(i, j, k);
        s += v, p *= v, a += std::fabs(v), q += v * v;
        hi = std::max(hi, v), lo = std::min(lo, v);
      }
      double e = 0;
      for (int j = 0; j < 3; ++j)
        e += std::exp(at(i, j, k) - hi);
      sum.push_back(s), prod.push_back(p), l1.push_back(a), ss.push_back(q);
      l2.push_back(std::sqrt(q)), mx.push_back(hi), mn.push_back(lo);
      ls.push_back(std::log(s)), lse.push_back(hi + std::log(e));
    }
  std::vector<double> mean;
  for (int j = 0; j < 3; ++j)
    mean.push_back((at(0, j, 0) + at(0, j, 1) + at(1, j, 0) + at(1, j, 1)) / 4);
  expectNear(out[0], sum, 1e-6, 1e-6);
  expectNear(out[1], mean, 1e-6, 1e-6);
  expectNear(out[2], mx, 1e-6, 0);
  expectNear(out[3], mn, 1e-6, 0);
  expectNear(out[4], prod, 1e-6, 1e-6);
  expectNear(out[5], l1, 1e-6, 1e-6);
  expectNear(out[6], l2, 1e-6, 1e-6);
  expectNear(out[7], ss, 1e-6, 1e-6);
  expectNear(out[8], ls, 1e-6, 1e-6);
  // log_sum_exp(600, ...) would overflow without the max shift.
  expectNear(out[9], lse, 1e-6, 1e-6);
}

TEST_F(NNKernelTest, IntegerReductionsWrapAndEmptySlices) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<2x3xi8>, %e: tensor<2x0xi32>, %z: tensor<0x2xf32>)
        -> (tensor<2xi8>, tensor<2x1xi8>, tensor<2xi8>, tensor<i8>, tensor<2xi8>,
            tensor<2xi32>, tensor<2xi32>, tensor<2xi32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) {
      %0 = qc.reduce %x {kind = #qc<reduce_kind sum>, axes = array<i64: 1>, keepdims = false} : tensor<2x3xi8> -> tensor<2xi8>
      %1 = qc.reduce %x {kind = #qc<reduce_kind prod>, axes = array<i64: 1>} : tensor<2x3xi8> -> tensor<2x1xi8>
      %2 = qc.reduce %x {kind = #qc<reduce_kind max>, axes = array<i64: 1>, keepdims = false} : tensor<2x3xi8> -> tensor<2xi8>
      %3 = qc.reduce %x {kind = #qc<reduce_kind min>, axes = array<i64: 0, 1>, keepdims = false} : tensor<2x3xi8> -> tensor<i8>
      %4 = qc.reduce %x {kind = #qc<reduce_kind l1>, axes = array<i64: 1>, keepdims = false} : tensor<2x3xi8> -> tensor<2xi8>
      %5 = qc.reduce %e {kind = #qc<reduce_kind sum>, axes = array<i64: 1>, keepdims = false} : tensor<2x0xi32> -> tensor<2xi32>
      %6 = qc.reduce %e {kind = #qc<reduce_kind prod>, axes = array<i64: 1>, keepdims = false} : tensor<2x0xi32> -> tensor<2xi32>
      %7 = qc.reduce %e {kind = #qc<reduce_kind max>, axes = array<i64: 1>, keepdims = false} : tensor<2x0xi32> -> tensor<2xi32>
      %8 = qc.reduce %z {kind = #qc<reduce_kind min>, axes = array<i64: 0>, keepdims = false} : tensor<0x2xf32> -> tensor<2xf32>
      %9 = qc.reduce %z {kind = #qc<reduce_kind log_sum_exp>, axes = array<i64: 0>, keepdims = false} : tensor<0x2xf32> -> tensor<2xf32>
      %10 = qc.reduce %z {kind = #qc<reduce_kind mean>, axes = array<i64: 0>, keepdims = false} : tensor<0x2xf32> -> tensor<2xf32>
      return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10 : tensor<2xi8>, tensor<2x1xi8>, tensor<2xi8>, tensor<i8>, tensor<2xi8>,
        tensor<2xi32>, tensor<2xi32>, tensor<2xi32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
    })mlir";
  auto out = run(src, {makeTensor<int8_t>(DType::I8, {2, 3}, {100, 50, -3, -128, 2, 1}),
                       Tensor(DType::I32, {2, 0}), Tensor(DType::F32, {0, 2})});
  ASSERT_EQ(out.size(), 11u);
  EXPECT_EQ(elems<int8_t>(out[0]), (std::vector<int8_t>{-109, -125})); // 147, -125
  EXPECT_EQ(elems<int8_t>(out[1]), (std::vector<int8_t>{104, 0}));     // -15000, -256
  EXPECT_EQ(elems<int8_t>(out[2]), (std::vector<int8_t>{100, 2}));
  EXPECT_EQ(elems<int8_t>(out[3]), (std::vector<int8_t>{-128}));
  EXPECT_EQ(elems<int8_t>(out[4]), (std::vector<int8_t>{-103, -125})); // 153, 131
  EXPECT_EQ(elems<int32_t>(out[5]), (std::vector<int32_t>{0, 0}));
  EXPECT_EQ(elems<int32_t>(out[6]), (std::vector<int32_t>{1, 1}));
  EXPECT_EQ(elems<int32_t>(out[7]),
            (std::vector<int32_t>(2, std::numeric_limits<int32_t>::min())));
  EXPECT_EQ(elems<float>(out[8]), (std::vector<float>(2, INFINITY)));
  EXPECT_EQ(elems<float>(out[9]), (std::vector<float>(2, -INFINITY)));
  EXPECT_TRUE(std::isnan(out[10].data<float>()[0]));
}

TEST_F(NNKernelTest, LargeReductionOnThreads) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<64x128x33xf32>) -> (tensor<64x1x33xf32>, tensor<1x128x1xf32>) {
      %0 = qc.reduce %x {kind = #qc<reduce_kind sum>, axes = array<i64: 1>} : tensor<64x128x33xf32> -> tensor<64x1x33xf32>
      %1 = qc.reduce %x {kind = #qc<reduce_kind max>, axes = array<i64: 0, 2>} : tensor<64x128x33xf32> -> tensor<1x128x1xf32>
      return %0, %1 : tensor<64x1x33xf32>, tensor<1x128x1xf32>
    })mlir";
  std::vector<float> x(64 * 128 * 33);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = static_cast<float>((i * 7919) % 1000) - 500.0f;
  auto out = run(src, {f32({64, 128, 33}, x)}, /*threads=*/4);
  ASSERT_EQ(out.size(), 2u);
  for (int i = 0; i < 64; ++i)
    for (int k = 0; k < 33; ++k) {
      double s = 0;
      for (int j = 0; j < 128; ++j)
        s += x[(i * 128 + j) * 33 + k];
      ASSERT_EQ(out[0].data<float>()[i * 33 + k], static_cast<float>(s));
    }
  for (int j = 0; j < 128; ++j) {
    float m = -INFINITY;
    for (int i = 0; i < 64; ++i)
      for (int k = 0; k < 33; ++k)
        m = std::max(m, x[(i * 128 + j) * 33 + k]);
    ASSERT_EQ(out[1].data<float>()[j], m);
  }
}

TEST_F(NNKernelTest, ArgMaxArgMin) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<2x4xf32>, %i: tensor<2x3xi32>, %q: tensor<4x!quant.uniform<u8:f32, 0.5:10>>)
        -> (tensor<2xi64>, tensor<2x1xi64>, tensor<1x4xi64>, tensor<2xi64>, tensor<2xi64>, tensor<1xi64>) {
      %0 = qc.arg_max %x {axis = 1 : i64, keepdims = false} : tensor<2x4xf32> -> tensor<2xi64>
      %1 = qc.arg_max %x {axis = -1 : i64, select_last_index = true} : tensor<2x4xf32> -> tensor<2x1xi64>
      %2 = qc.arg_min %x : tensor<2x4xf32> -> tensor<1x4xi64>
      %3 = qc.arg_min %i {axis = 1 : i64, keepdims = false, select_last_index = true} : tensor<2x3xi32> -> tensor<2xi64>
      %4 = qc.arg_max %i {axis = 1 : i64, keepdims = false} : tensor<2x3xi32> -> tensor<2xi64>
      %5 = qc.arg_max %q : tensor<4x!quant.uniform<u8:f32, 0.5:10>> -> tensor<1xi64>
      return %0, %1, %2, %3, %4, %5 : tensor<2xi64>, tensor<2x1xi64>, tensor<1x4xi64>, tensor<2xi64>, tensor<2xi64>, tensor<1xi64>
    })mlir";
  auto out = run(src, {f32({2, 4}, {1, 5, 5, 2, -1, -1, -3, 0}),
                       makeTensor<int32_t>(DType::I32, {2, 3}, {4, 1, 1, -7, 9, -7}),
                       makeTensor<uint8_t>(DType::U8, {4}, {3, 250, 17, 250})});
  ASSERT_EQ(out.size(), 6u);
  EXPECT_EQ(elems<int64_t>(out[0]), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(elems<int64_t>(out[1]), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(elems<int64_t>(out[2]), (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(elems<int64_t>(out[3]), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(elems<int64_t>(out[4]), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(elems<int64_t>(out[5]), (std::vector<int64_t>{1}));
}

TEST_F(NNKernelTest, PoolCeilModeOnnxExamples) {
  // ONNX's maxpool_2d_ceil and averagepool_2d_ceil: 4x4 input 1..16,
  // kernel 3, stride 2, ceil_mode.
  const char *src = R"mlir(
    func.func @f(%x: tensor<1x1x4x4xf32>) -> (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>) {
      %0 = qc.pool2d %x {kind = #qc<pool_kind max>, kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, ceil_mode = true}
           : tensor<1x1x4x4xf32> -> tensor<1x1x2x2xf32>
      %1 = qc.pool2d %x {kind = #qc<pool_kind avg>, kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, ceil_mode = true}
           : tensor<1x1x4x4xf32> -> tensor<1x1x2x2xf32>
      return %0, %1 : tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>
    })mlir";
  auto out = run(src, {iota({1, 1, 4, 4})});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(elems<float>(out[0]), (std::vector<float>{11, 12, 15, 16}));
  EXPECT_EQ(elems<float>(out[1]), (std::vector<float>{6, 7.5, 12, 13.5}));
}

/// Straightforward pooling reference (QCNNOps.td) for the randomised check.
std::vector<double> referencePool(const std::vector<float> &x, int h, int w,
                                  int oh, int ow, int k, int s, int pt, int pl,
                                  int pb, int pr, int d, bool isMax,
                                  bool includePad) {
  std::vector<double> out;
  for (int oy = 0; oy < oh; ++oy)
    for (int ox = 0; ox < ow; ++ox) {
      double acc = isMax ? -INFINITY : 0;
      int count = 0;
      for (int i = 0; i < k; ++i)
        for (int j = 0; j < k; ++j) {
          int y = oy * s - pt + i * d, xx = ox * s - pl + j * d;
          bool inside = y >= 0 && y < h && xx >= 0 && xx < w;
          bool inPadded = y >= -pt && y < h + pb && xx >= -pl && xx < w + pr;
          if (inside)
            acc = isMax ? std::max<double>(acc, x[y * w + xx]) : acc + x[y * w + xx];
          count += includePad ? inPadded : inside;
        }
      out.push_back(isMax ? acc : acc / count);
    }
  return out;
}

TEST_F(NNKernelTest, PoolPadsDilationsCountIncludePad) {
  // 7x6 input, kernel 3, stride 2, pads [1, 2, 2, 1], dilation 2, ceil_mode:
  // O_h = ceil((7 + 3 - 5) / 2) + 1 = 4 (the last window starts at 5 < 8),
  // O_w = ceil((6 + 3 - 5) / 2) + 1 = 3.
  const char *src = R"mlir(
    func.func @f(%x: tensor<1x1x7x6xf32>) -> (tensor<1x1x4x3xf32>, tensor<1x1x4x3xf32>, tensor<1x1x4x3xf32>) {
      %0 = qc.pool2d %x {kind = #qc<pool_kind max>, kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>,
                         pads = array<i64: 1, 2, 2, 1>, dilations = array<i64: 2, 2>, ceil_mode = true}
           : tensor<1x1x7x6xf32> -> tensor<1x1x4x3xf32>
      %1 = qc.pool2d %x {kind = #qc<pool_kind avg>, kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>,
                         pads = array<i64: 1, 2, 2, 1>, dilations = array<i64: 2, 2>, ceil_mode = true}
           : tensor<1x1x7x6xf32> -> tensor<1x1x4x3xf32>
      %2 = qc.pool2d %x {kind = #qc<pool_kind avg>, kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>,
                         pads = array<i64: 1, 2, 2, 1>, dilations = array<i64: 2, 2>, ceil_mode = true, count_include_pad = true}
           : tensor<1x1x7x6xf32> -> tensor<1x1x4x3xf32>
      return %0, %1, %2 : tensor<1x1x4x3xf32>, tensor<1x1x4x3xf32>, tensor<1x1x4x3xf32>
    })mlir";
  std::vector<float> x(42);
  for (int i = 0; i < 42; ++i)
    x[i] = static_cast<float>((i * 37) % 23) - 11.0f;
  auto out = run(src, {f32({1, 1, 7, 6}, x)});
  ASSERT_EQ(out.size(), 3u);
  expectNear(out[0],
             referencePool(x, 7, 6, 4, 3, 3, 2, 1, 2, 2, 1, 2, true, false),
             1e-6, 0);
  expectNear(out[1],
             referencePool(x, 7, 6, 4, 3, 3, 2, 1, 2, 2, 1, 2, false, false),
             1e-6, 1e-6);
  expectNear(out[2],
             referencePool(x, 7, 6, 4, 3, 3, 2, 1, 2, 2, 1, 2, false, true),
             1e-6, 1e-6);
}

TEST_F(NNKernelTest, CountIncludePadIgnoresCeilModeOverhang) {
  // 1x1x3x3, kernel 2, stride 2, no pads, ceil_mode: the last window in each
  // dimension overhangs the input (and the zero padding); those taps are not
  // counted even with count_include_pad.
  const char *src = R"mlir(
    func.func @f(%x: tensor<1x1x3x3xf32>) -> tensor<1x1x2x2xf32> {
      %0 = qc.pool2d %x {kind = #qc<pool_kind avg>, kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>,
                         ceil_mode = true, count_include_pad = true}
           : tensor<1x1x3x3xf32> -> tensor<1x1x2x2xf32>
      return %0 : tensor<1x1x2x2xf32>
    })mlir";
  auto out = run(src, {iota({1, 1, 3, 3})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(elems<float>(out[0]),
            (std::vector<float>{(1 + 2 + 4 + 5) / 4.0f, (3 + 6) / 2.0f,
                                (7 + 8) / 2.0f, 9}));
}

TEST_F(NNKernelTest, QuantizedPoolingIsExact) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<1x2x3x3x!quant.uniform<i8:f32, 0.1:-3>>)
        -> (tensor<1x2x2x2x!quant.uniform<i8:f32, 0.1:-3>>, tensor<1x2x2x2x!quant.uniform<i8:f32, 0.05:-3>>) {
      %0 = qc.pool2d %x {kind = #qc<pool_kind max>, kernel = array<i64: 2, 2>, pads = array<i64: 1, 1, 0, 0>, strides = array<i64: 2, 2>}
           : tensor<1x2x3x3x!quant.uniform<i8:f32, 0.1:-3>> -> tensor<1x2x2x2x!quant.uniform<i8:f32, 0.1:-3>>
      %1 = qc.pool2d %x {kind = #qc<pool_kind avg>, kernel = array<i64: 2, 2>, strides = array<i64: 1, 1>}
           : tensor<1x2x3x3x!quant.uniform<i8:f32, 0.1:-3>> -> tensor<1x2x2x2x!quant.uniform<i8:f32, 0.05:-3>>
      return %0, %1 : tensor<1x2x2x2x!quant.uniform<i8:f32, 0.1:-3>>, tensor<1x2x2x2x!quant.uniform<i8:f32, 0.05:-3>>
    })mlir";
  std::vector<int8_t> q = {-128, 5, 7, -3, 100, -50, 0, 1, 127,
                           -20, -20, -21, -22, -23, -24, 60, 61, -128};
  auto out = run(src, {makeTensor<int8_t>(DType::I8, {1, 2, 3, 3}, q)});
  ASSERT_EQ(out.size(), 2u);
  // Max selects stored integers; the padding never contributes.
  EXPECT_EQ(elems<int8_t>(out[0]),
            (std::vector<int8_t>{-128, 7, 0, 127, -20, -20, 60, 61}));
  for (int c = 0; c < 2; ++c)
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 2; ++x) {
        float sum = 0;
        for (int i = 0; i < 2; ++i)
          for (int j = 0; j < 2; ++j)
            sum += numerics::dequantize(q[c * 9 + (y + i) * 3 + x + j], 0.1f, -3);
        int8_t want = static_cast<int8_t>(
            numerics::quantize(sum / 4.0f, 0.05f, -3, -128, 127));
        EXPECT_EQ(out[1].data<int8_t>()[(c * 2 + y) * 2 + x], want);
      }
  // By hand: (-128 + 5 - 3 + 100 + 4 * 3) * 0.1 / 4 = -0.35 -> -7 + -3.
  EXPECT_EQ(out[1].data<int8_t>()[0], -10);
}

TEST_F(NNKernelTest, HalfAndBFloat16ComputeInFloat) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<1x4xf16>, %y: tensor<1x1x2x2xbf16>) -> (tensor<1x4xf16>, tensor<1x1x1x1xbf16>, tensor<1xf16>) {
      %0 = qc.softmax %x : tensor<1x4xf16>
      %1 = qc.pool2d %y {kind = #qc<pool_kind avg>, kernel = array<i64: 2, 2>} : tensor<1x1x2x2xbf16> -> tensor<1x1x1x1xbf16>
      %2 = qc.reduce %x {kind = #qc<reduce_kind sum>, axes = array<i64: 1>, keepdims = false} : tensor<1x4xf16> -> tensor<1xf16>
      return %0, %1, %2 : tensor<1x4xf16>, tensor<1x1x1x1xbf16>, tensor<1xf16>
    })mlir";
  std::vector<float> x = {0.5f, -1.0f, 2.0f, 3.25f};
  std::vector<uint16_t> xh, yb;
  for (float v : x)
    xh.push_back(floatToHalf(v));
  for (float v : {1.0f, 2.0f, 3.0f, 1.0f / 128})
    yb.push_back(floatToBf16(v));
  auto out = run(src, {makeTensor<uint16_t>(DType::F16, {1, 4}, xh),
                       makeTensor<uint16_t>(DType::BF16, {1, 1, 2, 2}, yb)});
  ASSERT_EQ(out.size(), 3u);
  double sum = 0;
  for (float v : x)
    sum += std::exp(v - 3.25);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(out[0].data<uint16_t>()[i],
              floatToHalf(static_cast<float>(std::exp(x[i] - 3.25) / sum)))
        << i;
  // (6 + 1/128) / 4 = 1.501953125 rounds to the bfloat16 1.5.
  EXPECT_EQ(bf16ToFloat(out[1].data<uint16_t>()[0]), 1.5f);
  EXPECT_EQ(halfToFloat(out[2].data<uint16_t>()[0]), 4.75f);
}

} // namespace
