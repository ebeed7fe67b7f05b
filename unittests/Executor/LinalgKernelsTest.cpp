//===- LinalgKernelsTest.cpp - matmul/linear/conv kernels vs naive loops --===//
//
// Part of quantc. Each test parses a small function, runs it on the
// executor and compares with a straightforward reference loop written here.
// Float results must agree within 1e-5 absolute + 1e-5 relative (inputs in
// [-1, 1], reductions of at most a few hundred terms, reference in double);
// integer results must agree exactly.
//
//===----------------------------------------------------------------------===//

#include "ExecutorTestUtil.h"

#include "qc/Dialect/QC/Utils/Numerics.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::testing;

namespace {

class LinalgKernelTest : public ExecutorFixture {
protected:
  LinalgKernelTest() : ExecutorFixture(/*threads=*/3) {}
};

/// Naive conv2d (NCHW, OIHW) straight from the op description.
std::vector<double>
refConv2d(const std::vector<double> &x, ArrayRef<int64_t> xs,
          const std::vector<double> &w, ArrayRef<int64_t> ws,
          const std::vector<double> *b, ArrayRef<int64_t> strides,
          ArrayRef<int64_t> pads, ArrayRef<int64_t> dil, int64_t groups,
          int64_t oh, int64_t ow) {
  int64_t n = xs[0], c = xs[1], h = xs[2], wd = xs[3];
  int64_t o = ws[0], cg = ws[1], kh = ws[2], kw = ws[3];
  std::vector<double> y(n * o * oh * ow, 0.0);
  for (int64_t ni = 0; ni < n; ++ni)
    for (int64_t oc = 0; oc < o; ++oc) {
      int64_t g = oc / (o / groups);
      for (int64_t yy = 0; yy < oh; ++yy)
        for (int64_t xx = 0; xx < ow; ++xx) {
          double acc = b ? (*b)[oc] : 0.0;
          for (int64_t ci = 0; ci < cg; ++ci)
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j) {
                int64_t iy = yy * strides[0] - pads[0] + i * dil[0];
                int64_t ix = xx * strides[1] - pads[1] + j * dil[1];
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd)
                  continue;
                acc += x[((ni * c + g * cg + ci) * h + iy) * wd + ix] *
                       w[((oc * cg + ci) * kh + i) * kw + j];
              }
          y[((ni * o + oc) * oh + yy) * ow + xx] = acc;
        }
    }
  return y;
}

/// Naive transposed convolution (NCHW, IOHW) as a scatter.
std::vector<double> refConvT(const std::vector<double> &x, ArrayRef<int64_t> xs,
                             const std::vector<double> &w, ArrayRef<int64_t> ws,
                             const std::vector<double> *b,
                             ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                             ArrayRef<int64_t> dil, int64_t groups, int64_t oh,
                             int64_t ow) {
  int64_t n = xs[0], c = xs[1], h = xs[2], wd = xs[3];
  int64_t og = ws[1], kh = ws[2], kw = ws[3];
  int64_t o = og * groups, cg = c / groups;
  std::vector<double> y(n * o * oh * ow, 0.0);
  for (int64_t ni = 0; ni < n; ++ni)
    for (int64_t oc = 0; oc < o; ++oc)
      for (int64_t p = 0; p < oh * ow; ++p)
        y[(ni * o + oc) * oh * ow + p] = b ? (*b)[oc] : 0.0;
  for (int64_t ni = 0; ni < n; ++ni)
    for (int64_t g = 0; g < groups; ++g)
      for (int64_t ci = 0; ci < cg; ++ci)
        for (int64_t oi = 0; oi < og; ++oi)
          for (int64_t yy = 0; yy < h; ++yy)
            for (int64_t xx = 0; xx < wd; ++xx)
              for (int64_t i = 0; i < kh; ++i)
                for (int64_t j = 0; j < kw; ++j) {
                  int64_t oy = yy * strides[0] - pads[0] + i * dil[0];
                  int64_t ox = xx * strides[1] - pads[1] + j * dil[1];
                  if (oy < 0 || oy >= oh || ox < 0 || ox >= ow)
                    continue;
                  int64_t c = g * cg + ci;
                  y[((ni * o + g * og + oi) * oh + oy) * ow + ox] +=
                      x[((ni * (cg * groups) + c) * h + yy) * wd + xx] *
                      w[((c * og + oi) * kh + i) * kw + j];
                }
  return y;
}

std::vector<double> toDouble(const std::vector<float> &v) {
  return std::vector<double>(v.begin(), v.end());
}

//===----------------------------------------------------------------------===//
// Float form
//===----------------------------------------------------------------------===//

TEST_F(LinalgKernelTest, MatmulBatchBroadcast) {
  // [2, 1, 3, 5] @ [4, 5, 6] -> [2, 4, 3, 6]: lhs broadcasts along dim 1,
  // rhs along dim 0.
  auto a = randomFloats(2 * 3 * 5, 1), b = randomFloats(4 * 5 * 6, 2);
  auto out = run(R"mlir(
    func.func @f(%a: tensor<2x1x3x5xf32>, %b: tensor<4x5x6xf32>) -> tensor<2x4x3x6xf32> {
      %0 = qc.matmul %a, %b : (tensor<2x1x3x5xf32>, tensor<4x5x6xf32>) -> tensor<2x4x3x6xf32>
      return %0 : tensor<2x4x3x6xf32>
    })mlir",
                 {f32({2, 1, 3, 5}, a), f32({4, 5, 6}, b)});
  ASSERT_EQ(out.size(), 1u);
  std::vector<double> want;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j)
      for (int m = 0; m < 3; ++m)
        for (int n = 0; n < 6; ++n) {
          double acc = 0;
          for (int k = 0; k < 5; ++k)
            acc += double(a[(i * 3 + m) * 5 + k]) * b[(j * 5 + k) * 6 + n];
          want.push_back(acc);
        }
  expectClose(out[0], want);
}

TEST_F(LinalgKernelTest, MatmulRankOneOperands) {
  auto v = randomFloats(5, 3), m = randomFloats(5 * 3, 4),
       l = randomFloats(2 * 4 * 5, 5);
  auto out = run(R"mlir(
    func.func @f(%v: tensor<5xf32>, %m: tensor<5x3xf32>, %l: tensor<2x4x5xf32>)
        -> (tensor<3xf32>, tensor<2x4xf32>, tensor<f32>) {
      %0 = qc.matmul %v, %m : (tensor<5xf32>, tensor<5x3xf32>) -> tensor<3xf32>
      %1 = qc.matmul %l, %v : (tensor<2x4x5xf32>, tensor<5xf32>) -> tensor<2x4xf32>
      %2 = qc.matmul %v, %v : (tensor<5xf32>, tensor<5xf32>) -> tensor<f32>
      return %0, %1, %2 : tensor<3xf32>, tensor<2x4xf32>, tensor<f32>
    })mlir",
                 {f32({5}, v), f32({5, 3}, m), f32({2, 4, 5}, l)});
  ASSERT_EQ(out.size(), 3u);
  std::vector<double> w0, w1, w2(1, 0.0);
  for (int n = 0; n < 3; ++n) {
    double acc = 0;
    for (int k = 0; k < 5; ++k)
      acc += double(v[k]) * m[k * 3 + n];
    w0.push_back(acc);
  }
  for (int r = 0; r < 8; ++r) {
    double acc = 0;
    for (int k = 0; k < 5; ++k)
      acc += double(l[r * 5 + k]) * v[k];
    w1.push_back(acc);
  }
  for (int k = 0; k < 5; ++k)
    w2[0] += double(v[k]) * v[k];
  expectClose(out[0], w0);
  expectClose(out[1], w1);
  expectClose(out[2], w2);
}

TEST_F(LinalgKernelTest, MatmulF64AndF16) {
  auto a = randomFloats(3 * 7, 6), b = randomFloats(7 * 4, 7);
  Tensor a64(DType::F64, {3, 7}), b64(DType::F64, {7, 4});
  Tensor a16(DType::F16, {3, 7}), b16(DType::F16, {7, 4});
  for (int i = 0; i < 21; ++i) {
    a64.setFromDouble(i, a[i]);
    a16.setFromDouble(i, a[i]);
  }
  for (int i = 0; i < 28; ++i) {
    b64.setFromDouble(i, b[i]);
    b16.setFromDouble(i, b[i]);
  }
  auto out = run(R"mlir(
    func.func @f(%a: tensor<3x7xf64>, %b: tensor<7x4xf64>, %c: tensor<3x7xf16>, %d: tensor<7x4xf16>)
        -> (tensor<3x4xf64>, tensor<3x4xf16>) {
      %0 = qc.matmul %a, %b : (tensor<3x7xf64>, tensor<7x4xf64>) -> tensor<3x4xf64>
      %1 = qc.matmul %c, %d : (tensor<3x7xf16>, tensor<7x4xf16>) -> tensor<3x4xf16>
      return %0, %1 : tensor<3x4xf64>, tensor<3x4xf16>
    })mlir",
                 {a64, b64, a16, b16});
  ASSERT_EQ(out.size(), 2u);
  ASSERT_EQ(out[1].dtype(), DType::F16);
  std::vector<double> w64, w16;
  for (int m = 0; m < 3; ++m)
    for (int n = 0; n < 4; ++n) {
      double acc = 0, acc16 = 0;
      for (int k = 0; k < 7; ++k) {
        acc += a64.getAsDouble(m * 7 + k) * b64.getAsDouble(k * 4 + n);
        acc16 += a16.getAsDouble(m * 7 + k) * b16.getAsDouble(k * 4 + n);
      }
      w64.push_back(acc);
      w16.push_back(acc16);
    }
  expectClose(out[0], w64, 1e-12);
  // Computed in f32 and rounded once to f16: within half an f16 ulp
  // (2^-11 relative) plus the f32 error.
  expectClose(out[1], w16, 1e-3);
}

TEST_F(LinalgKernelTest, LinearWithBiasThreaded) {
  // Large enough for the kernel to split rows and columns across threads.
  const int64_t rows = 2 * 19, k = 70, n = 150;
  auto x = randomFloats(rows * k, 8), w = randomFloats(n * k, 9),
       b = randomFloats(n, 10);
  auto out = run(
      R"mlir(
    func.func @f(%x: tensor<2x19x70xf32>, %w: tensor<150x70xf32>, %b: tensor<150xf32>) -> tensor<2x19x150xf32> {
      %0 = qc.linear %x, %w, %b : (tensor<2x19x70xf32>, tensor<150x70xf32>, tensor<150xf32>) -> tensor<2x19x150xf32>
      return %0 : tensor<2x19x150xf32>
    })mlir",
      {f32({2, 19, 70}, x), f32({150, 70}, w), f32({150}, b)},
      /*threads=*/4);
  ASSERT_EQ(out.size(), 1u);
  std::vector<double> want;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t o = 0; o < n; ++o) {
      double acc = b[o];
      for (int64_t i = 0; i < k; ++i)
        acc += double(x[r * k + i]) * w[o * k + i];
      want.push_back(acc);
    }
  expectClose(out[0], want);
}

TEST_F(LinalgKernelTest, Conv2DGroupsDilationPads) {
  // groups 2, stride 2x1, dilation 2x1, asymmetric pads [1, 0, 2, 1].
  // OH = (9 + 1 + 2 - 2*2 - 1) / 2 + 1 = 4, OW = (8 + 0 + 1 - 3) / 1 + 1 = 7.
  auto x = randomFloats(2 * 4 * 9 * 8, 11), w = randomFloats(6 * 2 * 3 * 3, 12),
       b = randomFloats(6, 13);
  auto out = run(R"mlir(
    func.func @f(%x: tensor<2x4x9x8xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>) -> tensor<2x6x4x7xf32> {
      %0 = qc.conv2d %x, %w, %b {strides = array<i64: 2, 1>, pads = array<i64: 1, 0, 2, 1>,
                                 dilations = array<i64: 2, 1>, groups = 2 : i64}
          : (tensor<2x4x9x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<2x6x4x7xf32>
      return %0 : tensor<2x6x4x7xf32>
    })mlir",
                 {f32({2, 4, 9, 8}, x), f32({6, 2, 3, 3}, w), f32({6}, b)});
  ASSERT_EQ(out.size(), 1u);
  auto bd = toDouble(b);
  expectClose(out[0],
              refConv2d(toDouble(x), {2, 4, 9, 8}, toDouble(w), {6, 2, 3, 3},
                        &bd, {2, 1}, {1, 0, 2, 1}, {2, 1}, 2, 4, 7));
}

TEST_F(LinalgKernelTest, Conv2DLargeIm2colBlocks) {
  // Enough output pixels for several im2col blocks per image.
  auto x = randomFloats(1 * 3 * 40 * 40, 14),
       w = randomFloats(5 * 3 * 3 * 3, 15);
  auto out = run(R"mlir(
    func.func @f(%x: tensor<1x3x40x40xf32>, %w: tensor<5x3x3x3xf32>) -> tensor<1x5x40x40xf32> {
      %0 = qc.conv2d %x, %w {pads = array<i64: 1, 1, 1, 1>}
          : (tensor<1x3x40x40xf32>, tensor<5x3x3x3xf32>) -> tensor<1x5x40x40xf32>
      return %0 : tensor<1x5x40x40xf32>
    })mlir",
                 {f32({1, 3, 40, 40}, x), f32({5, 3, 3, 3}, w)},
                 /*threads=*/4);
  ASSERT_EQ(out.size(), 1u);
  expectClose(out[0],
              refConv2d(toDouble(x), {1, 3, 40, 40}, toDouble(w), {5, 3, 3, 3},
                        nullptr, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1, 40, 40));
}

TEST_F(LinalgKernelTest, DepthwiseConv2DWithMultiplier) {
  // groups = C = 3 with two output channels per input channel.
  auto x = randomFloats(2 * 3 * 7 * 6, 16), w = randomFloats(6 * 1 * 3 * 2, 17),
       b = randomFloats(6, 18);
  auto out = run(R"mlir(
    func.func @f(%x: tensor<2x3x7x6xf32>, %w: tensor<6x1x3x2xf32>, %b: tensor<6xf32>) -> tensor<2x6x4x6xf32> {
      %0 = qc.conv2d %x, %w, %b {strides = array<i64: 2, 1>, pads = array<i64: 1, 1, 1, 0>, groups = 3 : i64}
          : (tensor<2x3x7x6xf32>, tensor<6x1x3x2xf32>, tensor<6xf32>) -> tensor<2x6x4x6xf32>
      return %0 : tensor<2x6x4x6xf32>
    })mlir",
                 {f32({2, 3, 7, 6}, x), f32({6, 1, 3, 2}, w), f32({6}, b)});
  ASSERT_EQ(out.size(), 1u);
  auto bd = toDouble(b);
  expectClose(out[0],
              refConv2d(toDouble(x), {2, 3, 7, 6}, toDouble(w), {6, 1, 3, 2},
                        &bd, {2, 1}, {1, 1, 1, 0}, {1, 1}, 3, 4, 6));
}

TEST_F(LinalgKernelTest, ConvTranspose2DGroupsOutputPadding) {
  // groups 2, strides 2x3, dilations 2x1, pads [1, 0, 0, 2],
  // output_padding [1, 2]:
  // OH = 2*(4-1) + 1 + 2*(3-1) + 1 - 1 - 0 = 11
  // OW = 3*(3-1) + 2 + 1*(2-1) + 1 - 0 - 2 = 8
  auto x = randomFloats(2 * 4 * 4 * 3, 19), w = randomFloats(4 * 3 * 3 * 2, 20),
       b = randomFloats(6, 21);
  auto out = run(R"mlir(
    func.func @f(%x: tensor<2x4x4x3xf32>, %w: tensor<4x3x3x2xf32>, %b: tensor<6xf32>) -> tensor<2x6x11x8xf32> {
      %0 = qc.conv_transpose2d %x, %w, %b {strides = array<i64: 2, 3>, pads = array<i64: 1, 0, 0, 2>,
             dilations = array<i64: 2, 1>, output_padding = array<i64: 1, 2>, groups = 2 : i64}
          : (tensor<2x4x4x3xf32>, tensor<4x3x3x2xf32>, tensor<6xf32>) -> tensor<2x6x11x8xf32>
      return %0 : tensor<2x6x11x8xf32>
    })mlir",
                 {f32({2, 4, 4, 3}, x), f32({4, 3, 3, 2}, w), f32({6}, b)});
  ASSERT_EQ(out.size(), 1u);
  auto bd = toDouble(b);
  expectClose(out[0],
              refConvT(toDouble(x), {2, 4, 4, 3}, toDouble(w), {4, 3, 3, 2},
                       &bd, {2, 3}, {1, 0, 0, 2}, {2, 1}, 2, 11, 8));
}

//===----------------------------------------------------------------------===//
// Weight-only form
//===----------------------------------------------------------------------===//

TEST_F(LinalgKernelTest, WeightOnlyMatmulPerAxis) {
  // rhs [6, 3] quantized per output channel (dimension 1).
  const float scales[3] = {0.05f, 0.1f, 0.02f};
  const int zps[3] = {0, 3, -2};
  auto a = randomFloats(4 * 6, 22);
  auto wq = randomInts(6 * 3, 23, -128, 127);
  auto out = run(R"mlir(
    func.func @f(%a: tensor<4x6xf32>, %w: tensor<6x3x!quant.uniform<i8:f32:1, {0.05, 0.1:3, 0.02:-2}>>) -> tensor<4x3xf32> {
      %0 = qc.matmul %a, %w : (tensor<4x6xf32>, tensor<6x3x!quant.uniform<i8:f32:1, {0.05, 0.1:3, 0.02:-2}>>) -> tensor<4x3xf32>
      return %0 : tensor<4x3xf32>
    })mlir",
                 {f32({4, 6}, a), intTensor(DType::I8, {6, 3}, wq)});
  ASSERT_EQ(out.size(), 1u);
  std::vector<double> want;
  for (int m = 0; m < 4; ++m)
    for (int n = 0; n < 3; ++n) {
      double acc = 0;
      for (int k = 0; k < 6; ++k)
        acc += double(a[m * 6 + k]) *
               numerics::dequantize(wq[k * 3 + n], scales[n], zps[n]);
      want.push_back(acc);
    }
  expectClose(out[0], want);
}

TEST_F(LinalgKernelTest, WeightOnlyLinearSubChannel) {
  // weight [3, 16] in i4 with one scale per 8 inputs of each output row:
  // scales [3, 2].
  const float scales[3][2] = {{0.1f, 0.2f}, {0.3f, 0.4f}, {0.5f, 0.25f}};
  const int zps[3][2] = {{0, 1}, {-1, 0}, {2, -3}};
  auto x = randomFloats(2 * 16, 24), b = randomFloats(3, 25);
  auto wq = randomInts(3 * 16, 26, -8, 7);
  auto out =
      run(R"mlir(
    !w = !quant.uniform<i4:f32:{0:1, 1:8}, {{0.1, 0.2:1}, {0.3:-1, 0.4}, {0.5:2, 0.25:-3}}>
    func.func @f(%x: tensor<2x16xf32>, %w: tensor<3x16x!w>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
      %0 = qc.linear %x, %w, %b : (tensor<2x16xf32>, tensor<3x16x!w>, tensor<3xf32>) -> tensor<2x3xf32>
      return %0 : tensor<2x3xf32>
    })mlir",
          {f32({2, 16}, x), intTensor(DType::I8, {3, 16}, wq), f32({3}, b)});
  ASSERT_EQ(out.size(), 1u);
  std::vector<double> want;
  for (int r = 0; r < 2; ++r)
    for (int n = 0; n < 3; ++n) {
      double acc = b[n];
      for (int k = 0; k < 16; ++k)
        acc += double(x[r * 16 + k]) * numerics::dequantize(wq[n * 16 + k],
                                                            scales[n][k / 8],
                                                            zps[n][k / 8]);
      want.push_back(acc);
    }
  expectClose(out[0], want);
}

TEST_F(LinalgKernelTest, WeightOnlyConv2DPerAxisU8) {
  const float scales[4] = {0.01f, 0.02f, 0.015f, 0.03f};
  const int zps[4] = {128, 120, 130, 127};
  auto x = randomFloats(1 * 2 * 5 * 5, 27);
  auto wq = randomInts(4 * 2 * 3 * 3, 28, 0, 255);
  auto out =
      run(R"mlir(
    !w = !quant.uniform<u8:f32:0, {0.01:128, 0.02:120, 0.015:130, 0.03:127}>
    func.func @f(%x: tensor<1x2x5x5xf32>, %w: tensor<4x2x3x3x!w>) -> tensor<1x4x5x5xf32> {
      %0 = qc.conv2d %x, %w {pads = array<i64: 1, 1, 1, 1>}
          : (tensor<1x2x5x5xf32>, tensor<4x2x3x3x!w>) -> tensor<1x4x5x5xf32>
      return %0 : tensor<1x4x5x5xf32>
    })mlir",
          {f32({1, 2, 5, 5}, x), intTensor(DType::U8, {4, 2, 3, 3}, wq)});
  ASSERT_EQ(out.size(), 1u);
  std::vector<double> wf(wq.size());
  for (size_t i = 0; i < wq.size(); ++i)
    wf[i] = numerics::dequantize(wq[i], scales[i / 18], zps[i / 18]);
  expectClose(out[0],
              refConv2d(toDouble(x), {1, 2, 5, 5}, wf, {4, 2, 3, 3}, nullptr,
                        {1, 1}, {1, 1, 1, 1}, {1, 1}, 1, 5, 5));
}

//===----------------------------------------------------------------------===//
// Integer form: an independent integer reference (int64 sums of
// zero-point-corrected codes) followed by the numerics functions.
//===----------------------------------------------------------------------===//

int32_t refRequant(int64_t acc, float sx, float sw, float sy, int zy, int qmin,
                   int qmax) {
  numerics::QuantizedMultiplier m =
      numerics::quantizeMultiplier(numerics::getRequantScale(sx, sw, sy));
  return numerics::requantize(static_cast<int32_t>(acc), m.multiplier, m.shift,
                              zy, qmin, qmax);
}

TEST_F(LinalgKernelTest, IntegerLinearPerChannelRequantSaturates) {
  // x: i8 (s 0.5, z 3); w: i8 per output channel (zero points 0);
  // bias: i32 with scale s_x * s_w; result i8 (s 0.75, z -5). The
  // small output scale makes large accumulators saturate.
  const float sx = 0.5f, sw[4] = {0.25f, 0.125f, 0.0625f, 0.5f}, sy = 0.75f;
  const int zx = 3, zy = -5;
  auto xq = randomInts(5 * 33, 29, -128, 127);
  auto wq = randomInts(4 * 33, 30, -127, 127);
  auto bq = randomInts(4, 31, -2000, 2000);
  auto out =
      run(R"mlir(
    !x = !quant.uniform<i8:f32, 0.5:3>
    !w = !quant.uniform<i8:f32:0, {0.25, 0.125, 0.0625, 0.5}>
    !b = !quant.uniform<i32:f32:0, {0.125, 0.0625, 0.03125, 0.25}>
    !y = !quant.uniform<i8:f32, 0.75:-5>
    func.func @f(%x: tensor<5x33x!x>, %w: tensor<4x33x!w>, %b: tensor<4x!b>) -> tensor<5x4x!y> {
      %0 = qc.linear %x, %w, %b : (tensor<5x33x!x>, tensor<4x33x!w>, tensor<4x!b>) -> tensor<5x4x!y>
      return %0 : tensor<5x4x!y>
    })mlir",
          {intTensor(DType::I8, {5, 33}, xq), intTensor(DType::I8, {4, 33}, wq),
           intTensor(DType::I32, {4}, bq)});
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].dtype(), DType::I8);
  int saturated = 0;
  for (int r = 0; r < 5; ++r)
    for (int n = 0; n < 4; ++n) {
      int64_t acc = bq[n];
      for (int k = 0; k < 33; ++k)
        acc += int64_t(xq[r * 33 + k] - zx) * wq[n * 33 + k];
      int32_t want = refRequant(acc, sx, sw[n], sy, zy, -128, 127);
      saturated += want == -128 || want == 127;
      EXPECT_EQ(out[0].getAsDouble(r * 4 + n), want) << r << "," << n;
    }
  EXPECT_GT(saturated, 0) << "the test should exercise saturation";
}

TEST_F(LinalgKernelTest, IntegerMatmulAccumulatorAndFloatResults) {
  // u8 activations (z 128) x per-tensor i8 weights with a non-zero zero point;
  // an i32 accumulator result and a float result.
  auto xq = randomInts(2 * 3 * 10, 32, 0, 255);
  auto wq = randomInts(10 * 4, 33, -128, 127);
  auto out = run(R"mlir(
    !x = !quant.uniform<u8:f32, 0.02:128>
    !w = !quant.uniform<i8:f32, 0.005:-7>
    !acc = !quant.uniform<i32:f32, 1.0e-04>
    func.func @f(%x: tensor<2x3x10x!x>, %w: tensor<10x4x!w>) -> (tensor<2x3x4x!acc>, tensor<2x3x4xf32>) {
      %0 = qc.matmul %x, %w : (tensor<2x3x10x!x>, tensor<10x4x!w>) -> tensor<2x3x4x!acc>
      %1 = qc.matmul %x, %w : (tensor<2x3x10x!x>, tensor<10x4x!w>) -> tensor<2x3x4xf32>
      return %0, %1 : tensor<2x3x4x!acc>, tensor<2x3x4xf32>
    })mlir",
                 {intTensor(DType::U8, {2, 3, 10}, xq),
                  intTensor(DType::I8, {10, 4}, wq)});
  ASSERT_EQ(out.size(), 2u);
  ASSERT_EQ(out[0].dtype(), DType::I32);
  float accScale = static_cast<float>(double(0.02f) * double(0.005f));
  for (int r = 0; r < 6; ++r)
    for (int n = 0; n < 4; ++n) {
      int64_t acc = 0;
      for (int k = 0; k < 10; ++k)
        acc += int64_t(xq[r * 10 + k] - 128) * (wq[k * 4 + n] + 7);
      EXPECT_EQ(out[0].data<int32_t>()[r * 4 + n], acc);
      EXPECT_EQ(out[1].data<float>()[r * 4 + n],
                static_cast<float>(acc) * accScale);
    }
}

TEST_F(LinalgKernelTest, IntegerConv2DPerChannelRequant) {
  // u8 activations with padding (padding contributes real 0, i.e. x_q = z_x),
  // i8 per-output-channel weights, groups 2, i32 bias, u8 result.
  const float sx = 0.04f, sw[4] = {0.01f, 0.02f, 0.005f, 0.03f}, sy = 0.1f;
  const int zx = 100, zy = 90;
  auto xq = randomInts(2 * 4 * 6 * 5, 34, 0, 255);
  auto wq = randomInts(4 * 2 * 3 * 3, 35, -127, 127);
  auto bq = randomInts(4, 36, -500, 500);
  std::string src = R"mlir(
    !x = !quant.uniform<u8:f32, 0.04:100>
    !w = !quant.uniform<i8:f32:0, {0.01, 0.02, 0.005, 0.03}>
    !b = !quant.uniform<i32:f32:0, {4.0e-04, 8.0e-04, 2.0e-04, 1.2e-03}>
    !y = !quant.uniform<u8:f32, 0.1:90>
    func.func @f(%x: tensor<2x4x6x5x!x>, %w: tensor<4x2x3x3x!w>, %b: tensor<4x!b>) -> tensor<2x4x3x5x!y> {
      %0 = qc.conv2d %x, %w, %b {strides = array<i64: 2, 1>, pads = array<i64: 1, 1, 0, 1>, groups = 2 : i64}
          : (tensor<2x4x6x5x!x>, tensor<4x2x3x3x!w>, tensor<4x!b>) -> tensor<2x4x3x5x!y>
      return %0 : tensor<2x4x3x5x!y>
    })mlir";
  auto out = run(src, {intTensor(DType::U8, {2, 4, 6, 5}, xq),
                       intTensor(DType::I8, {4, 2, 3, 3}, wq),
                       intTensor(DType::I32, {4}, bq)});
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].dtype(), DType::U8);
  for (int n = 0; n < 2; ++n)
    for (int o = 0; o < 4; ++o)
      for (int y = 0; y < 3; ++y)
        for (int x = 0; x < 5; ++x) {
          int64_t acc = bq[o];
          int g = o / 2;
          for (int c = 0; c < 2; ++c)
            for (int i = 0; i < 3; ++i)
              for (int j = 0; j < 3; ++j) {
                int iy = y * 2 - 1 + i, ix = x - 1 + j;
                if (iy < 0 || iy >= 6 || ix < 0 || ix >= 5)
                  continue;
                acc +=
                    int64_t(xq[((n * 4 + g * 2 + c) * 6 + iy) * 5 + ix] - zx) *
                    wq[((o * 2 + c) * 3 + i) * 3 + j];
              }
          EXPECT_EQ(out[0].getAsDouble(((n * 4 + o) * 3 + y) * 5 + x),
                    refRequant(acc, sx, sw[o], sy, zy, 0, 255))
              << n << "," << o << "," << y << "," << x;
        }
}

TEST_F(LinalgKernelTest, IntegerDepthwiseAndTransposedConv) {
  // Depthwise i8 conv (direct loop path) and a grouped transposed conv whose
  // per-axis weight runs along dimension 1 (O / groups scales, reused by
  // every group); both requantized to i8.
  const float sx = 0.05f, sy = 0.2f;
  const float swd[2] = {0.02f, 0.04f}, swt[3] = {0.01f, 0.03f, 0.02f};
  const int zx = -4, zy = 6;
  auto xq = randomInts(1 * 2 * 4 * 4, 37, -128, 127);
  auto wd = randomInts(2 * 1 * 3 * 3, 38, -127, 127);
  auto wt = randomInts(2 * 3 * 2 * 2, 39, -127, 127);
  auto out = run(R"mlir(
    !x = !quant.uniform<i8:f32, 0.05:-4>
    !wd = !quant.uniform<i8:f32:0, {0.02, 0.04}>
    !wt = !quant.uniform<i8:f32:1, {0.01, 0.03, 0.02}>
    !y = !quant.uniform<i8:f32, 0.2:6>
    func.func @f(%x: tensor<1x2x4x4x!x>, %wd: tensor<2x1x3x3x!wd>, %wt: tensor<2x3x2x2x!wt>)
        -> (tensor<1x2x4x4x!y>, tensor<1x6x8x8x!y>) {
      %0 = qc.conv2d %x, %wd {pads = array<i64: 1, 1, 1, 1>, groups = 2 : i64}
          : (tensor<1x2x4x4x!x>, tensor<2x1x3x3x!wd>) -> tensor<1x2x4x4x!y>
      %1 = qc.conv_transpose2d %x, %wt {strides = array<i64: 2, 2>, groups = 2 : i64}
          : (tensor<1x2x4x4x!x>, tensor<2x3x2x2x!wt>) -> tensor<1x6x8x8x!y>
      return %0, %1 : tensor<1x2x4x4x!y>, tensor<1x6x8x8x!y>
    })mlir",
                 {intTensor(DType::I8, {1, 2, 4, 4}, xq),
                  intTensor(DType::I8, {2, 1, 3, 3}, wd),
                  intTensor(DType::I8, {2, 3, 2, 2}, wt)});
  ASSERT_EQ(out.size(), 2u);
  std::vector<double> xc(xq.size()), wdd(wd.begin(), wd.end()),
      wtd(wt.begin(), wt.end());
  for (size_t i = 0; i < xq.size(); ++i)
    xc[i] = xq[i] - zx;
  // The double reference is exact here: integers far below 2^53.
  auto dw = refConv2d(xc, {1, 2, 4, 4}, wdd, {2, 1, 3, 3}, nullptr, {1, 1},
                      {1, 1, 1, 1}, {1, 1}, 2, 4, 4);
  for (size_t i = 0; i < dw.size(); ++i)
    EXPECT_EQ(out[0].getAsDouble(i),
              refRequant(int64_t(dw[i]), sx, swd[i / 16], sy, zy, -128, 127));
  auto ct = refConvT(xc, {1, 2, 4, 4}, wtd, {2, 3, 2, 2}, nullptr, {2, 2},
                     {0, 0, 0, 0}, {1, 1}, 2, 8, 8);
  for (size_t i = 0; i < ct.size(); ++i) {
    int oc = i / 64;
    EXPECT_EQ(out[1].getAsDouble(i),
              refRequant(int64_t(ct[i]), sx, swt[oc % 3], sy, zy, -128, 127))
        << i;
  }
}

TEST_F(LinalgKernelTest, IntegerMatmulPerChannelThreaded) {
  // Large enough to be split into row and column blocks on 4 threads; the
  // per-axis weight runs along the last dimension of rhs.
  const int64_t m = 64, k = 96, n = 160;
  auto xq = randomInts(m * k, 40, 0, 255);
  auto wq = randomInts(k * n, 41, -127, 127);
  std::string scales, sw;
  std::vector<float> swv;
  for (int64_t j = 0; j < n; ++j) {
    float s = 0.001f * float(1 + j % 7);
    swv.push_back(s);
    scales += (j ? ", " : "") + std::to_string(s);
  }
  std::string src = R"mlir(
    !x = !quant.uniform<u8:f32, 0.03:7>
    !w = !quant.uniform<i8:f32:1, {)mlir" +
                    scales + R"mlir(}>
    !y = !quant.uniform<i8:f32, 0.05:-1>
    func.func @f(%x: tensor<64x96x!x>, %w: tensor<96x160x!w>) -> tensor<64x160x!y> {
      %0 = qc.matmul %x, %w : (tensor<64x96x!x>, tensor<96x160x!w>) -> tensor<64x160x!y>
      return %0 : tensor<64x160x!y>
    })mlir";
  auto out = run(
      src, {intTensor(DType::U8, {m, k}, xq), intTensor(DType::I8, {k, n}, wq)},
      /*threads=*/4);
  ASSERT_EQ(out.size(), 1u);
  for (int64_t r = 0; r < m; ++r)
    for (int64_t c = 0; c < n; ++c) {
      int64_t acc = 0;
      for (int64_t i = 0; i < k; ++i)
        acc += int64_t(xq[r * k + i] - 7) * wq[i * n + c];
      // The type holds the scales as printed; the kernel uses them as float.
      float s = static_cast<float>(std::stod(std::to_string(swv[c])));
      ASSERT_EQ(out[0].getAsDouble(r * n + c),
                refRequant(acc, 0.03f, s, 0.05f, -1, -128, 127))
          << r << "," << c;
    }
}

TEST_F(LinalgKernelTest, IntegerConv2DAccumulatorResult) {
  // Per-tensor i8 weights, i32 accumulator result with bias.
  auto xq = randomInts(1 * 3 * 4 * 4, 42, -128, 127);
  auto wq = randomInts(2 * 3 * 2 * 2, 43, -127, 127);
  std::vector<int> bq = {1000, -77};
  auto out = run(R"mlir(
    !x = !quant.uniform<i8:f32, 0.5:-3>
    !w = !quant.uniform<i8:f32, 0.25>
    !acc = !quant.uniform<i32:f32, 0.125>
    func.func @f(%x: tensor<1x3x4x4x!x>, %w: tensor<2x3x2x2x!w>, %b: tensor<2x!acc>) -> tensor<1x2x3x3x!acc> {
      %0 = qc.conv2d %x, %w, %b : (tensor<1x3x4x4x!x>, tensor<2x3x2x2x!w>, tensor<2x!acc>) -> tensor<1x2x3x3x!acc>
      return %0 : tensor<1x2x3x3x!acc>
    })mlir",
                 {intTensor(DType::I8, {1, 3, 4, 4}, xq),
                  intTensor(DType::I8, {2, 3, 2, 2}, wq),
                  intTensor(DType::I32, {2}, bq)});
  ASSERT_EQ(out.size(), 1u);
  std::vector<double> xc(xq.size());
  for (size_t i = 0; i < xq.size(); ++i)
    xc[i] = xq[i] + 3;
  std::vector<double> bd(bq.begin(), bq.end());
  auto want =
      refConv2d(xc, {1, 3, 4, 4}, std::vector<double>(wq.begin(), wq.end()),
                {2, 3, 2, 2}, &bd, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1, 3, 3);
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_EQ(out[0].data<int32_t>()[i], int64_t(want[i])) << i;
}

TEST_F(LinalgKernelTest, WeightOnlyLinearHalf) {
  // W8A16: f16 activations, an f16-expressed per-channel weight. The weight
  // is dequantized to f16 (as quant.dcast would), the product is computed in
  // f32 and rounded to f16 once.
  auto xs = randomFloats(3 * 8, 44);
  auto wq = randomInts(2 * 8, 45, -128, 127);
  Tensor x(DType::F16, {3, 8});
  for (int i = 0; i < 24; ++i)
    x.setFromDouble(i, xs[i]);
  auto out = run(R"mlir(
    !w = !quant.uniform<i8:f16:0, {0.0078125, 0.015625:2}>
    func.func @f(%x: tensor<3x8xf16>, %w: tensor<2x8x!w>) -> tensor<3x2xf16> {
      %0 = qc.linear %x, %w : (tensor<3x8xf16>, tensor<2x8x!w>) -> tensor<3x2xf16>
      return %0 : tensor<3x2xf16>
    })mlir",
                 {x, intTensor(DType::I8, {2, 8}, wq)});
  ASSERT_EQ(out.size(), 1u);
  const float s[2] = {0.0078125f, 0.015625f};
  const int z[2] = {0, 2};
  std::vector<double> want;
  for (int r = 0; r < 3; ++r)
    for (int o = 0; o < 2; ++o) {
      double acc = 0;
      for (int i = 0; i < 8; ++i)
        acc += x.getAsDouble(r * 8 + i) *
               halfToFloat(floatToHalf(
                   numerics::dequantize(wq[o * 8 + i], s[o], z[o])));
      want.push_back(acc);
    }
  expectClose(out[0], want, 1e-3);
}

} // namespace
