//===- ShapeKernelsTest.cpp - executor data movement and resize kernels ---===//
//
// Part of quantc. Expected resize values are those of ONNX's backend node
// tests (resize_upsample_scales_linear, ..._cubic, ...), recomputed with a
// direct implementation of the formulas in QCShapeOps.td.
//
//===----------------------------------------------------------------------===//

#include "ExecutorTestUtil.h"

#include <cstring>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::testing;

namespace {

class ShapeKernelTest : public ExecutorFixture {
protected:
  ShapeKernelTest() : ExecutorFixture(/*threads=*/1, /*function=*/"f") {}
};

TEST_F(ShapeKernelTest, ReshapeTransposeExpandTile) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<2x3x4xf32>, %s: tensor<3x1xf32>)
        -> (tensor<6x4xf32>, tensor<4x2x3xf32>, tensor<2x3x4xf32>, tensor<6x2xf32>) {
      %0 = qc.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
      %1 = qc.transpose %x {perm = array<i64: 2, 0, 1>} : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
      %2 = qc.expand %s : tensor<3x1xf32> -> tensor<2x3x4xf32>
      %3 = qc.tile %s {repeats = array<i64: 2, 2>} : tensor<3x1xf32> -> tensor<6x2xf32>
      return %0, %1, %2, %3 : tensor<6x4xf32>, tensor<4x2x3xf32>, tensor<2x3x4xf32>, tensor<6x2xf32>
    })mlir";
  Tensor x = iota({2, 3, 4});
  auto out = run(src, {x, f32({3, 1}, {7, 8, 9})});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(elems<float>(out[0]), elems<float>(x));
  for (int k = 0; k < 4; ++k)
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j)
        EXPECT_EQ(out[1].data<float>()[(k * 2 + i) * 3 + j],
                  x.data<float>()[(i * 3 + j) * 4 + k]);
  for (int i = 0; i < 24; ++i)
    EXPECT_EQ(out[2].data<float>()[i], 7 + (i / 4) % 3);
  EXPECT_EQ(elems<float>(out[3]),
            (std::vector<float>{7, 7, 8, 8, 9, 9, 7, 7, 8, 8, 9, 9}));
}

TEST_F(ShapeKernelTest, ConcatAndSplit) {
  const char *src = R"mlir(
    func.func @f(%a: tensor<2x2xi64>, %b: tensor<2x3xi64>)
        -> (tensor<2x5xi64>, tensor<2x1xi64>, tensor<2x4xi64>, tensor<2x0xi64>) {
      %0 = qc.concat %a, %b {axis = 1 : i64} : (tensor<2x2xi64>, tensor<2x3xi64>) -> tensor<2x5xi64>
      %1, %2, %3 = qc.split %0 {axis = 1 : i64, sizes = array<i64: 1, 4, 0>}
          : tensor<2x5xi64> -> tensor<2x1xi64>, tensor<2x4xi64>, tensor<2x0xi64>
      return %0, %1, %2, %3 : tensor<2x5xi64>, tensor<2x1xi64>, tensor<2x4xi64>, tensor<2x0xi64>
    })mlir";
  auto out = run(src, {makeTensor<int64_t>(DType::I64, {2, 2}, {1, 2, 3, 4}),
                       makeTensor<int64_t>(DType::I64, {2, 3}, {5, 6, 7, 8, 9, 10})});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(elems<int64_t>(out[0]),
            (std::vector<int64_t>{1, 2, 5, 6, 7, 3, 4, 8, 9, 10}));
  EXPECT_EQ(elems<int64_t>(out[1]), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(elems<int64_t>(out[2]),
            (std::vector<int64_t>{2, 5, 6, 7, 4, 8, 9, 10}));
  EXPECT_EQ(out[3].numElements(), 0);
}

TEST_F(ShapeKernelTest, SliceWithNegativeStrides) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<3x6xf32>, %v: tensor<4xi64>) -> (tensor<2x3xf32>, tensor<4xi64>, tensor<3x2xf32>) {
      %0 = qc.slice %x {offsets = array<i64: 2, 5>, sizes = array<i64: 2, 3>, strides = array<i64: -2, -2>}
           : tensor<3x6xf32> -> tensor<2x3xf32>
      %1 = qc.slice %v {offsets = array<i64: 3>, sizes = array<i64: 4>, strides = array<i64: -1>}
           : tensor<4xi64> -> tensor<4xi64>
      %2 = qc.slice %x {offsets = array<i64: 0, 1>, sizes = array<i64: 3, 2>, strides = array<i64: 1, 3>}
           : tensor<3x6xf32> -> tensor<3x2xf32>
      return %0, %1, %2 : tensor<2x3xf32>, tensor<4xi64>, tensor<3x2xf32>
    })mlir";
  auto out = run(src, {iota({3, 6}),
                       makeTensor<int64_t>(DType::I64, {4}, {10, 20, 30, 40})});
  ASSERT_EQ(out.size(), 3u);
  // Rows 2, 0; columns 5, 3, 1.
  EXPECT_EQ(elems<float>(out[0]), (std::vector<float>{18, 16, 14, 6, 4, 2}));
  EXPECT_EQ(elems<int64_t>(out[1]), (std::vector<int64_t>{40, 30, 20, 10}));
  EXPECT_EQ(elems<float>(out[2]), (std::vector<float>{2, 5, 8, 11, 14, 17}));
}

TEST_F(ShapeKernelTest, GatherWithNegativeIndices) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<3x4xf32>, %i: tensor<2x2xi64>, %j: tensor<i32>)
        -> (tensor<2x2x4xf32>, tensor<3xf32>) {
      %0 = qc.gather %x, %i {axis = 0 : i64} : (tensor<3x4xf32>, tensor<2x2xi64>) -> tensor<2x2x4xf32>
      %1 = qc.gather %x, %j {axis = 1 : i64} : (tensor<3x4xf32>, tensor<i32>) -> tensor<3xf32>
      return %0, %1 : tensor<2x2x4xf32>, tensor<3xf32>
    })mlir";
  auto out = run(src, {iota({3, 4}),
                       makeTensor<int64_t>(DType::I64, {2, 2}, {0, -1, 2, -3}),
                       makeTensor<int32_t>(DType::I32, {}, {-2})});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(elems<float>(out[0]),
            (std::vector<float>{1, 2, 3, 4, 9, 10, 11, 12, 9, 10, 11, 12, 1, 2, 3, 4}));
  EXPECT_EQ(elems<float>(out[1]), (std::vector<float>{3, 7, 11}));
}

TEST_F(ShapeKernelTest, GatherIndexOutOfRangeIsARunTimeError) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<3x4xf32>, %i: tensor<2xi64>) -> tensor<2x4xf32> {
      %0 = qc.gather %x, %i {axis = 0 : i64} : (tensor<3x4xf32>, tensor<2xi64>) -> tensor<2x4xf32>
      return %0 : tensor<2x4xf32>
    })mlir";
  std::string error = runExpectingFailure(
      src, {iota({3, 4}), makeTensor<int64_t>(DType::I64, {2}, {1, -4})});
  EXPECT_NE(error.find("'qc.gather' failed: index -4 is out of range [-3, 3) "
                       "along axis 0 of f32[3x4]"),
            std::string::npos)
      << error;
}

TEST_F(ShapeKernelTest, PadModes) {
  // ONNX's Pad examples: x = [[1.0, 1.2], [2.3, 3.4], [4.5, 5.7]].
  const char *src = R"mlir(
    func.func @f(%x: tensor<3x2xf32>)
        -> (tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>, tensor<6x4xf32>, tensor<3x4xf32>) {
      %0 = qc.pad %x {pads = array<i64: 0, 2, 0, 0>, value = 9.0 : f64} : tensor<3x2xf32> -> tensor<3x4xf32>
      %1 = qc.pad %x {pads = array<i64: 0, 1, 0, 1>, mode = #qc<pad_mode reflect>} : tensor<3x2xf32> -> tensor<3x4xf32>
      %2 = qc.pad %x {pads = array<i64: 0, 2, 0, 0>, mode = #qc<pad_mode edge>} : tensor<3x2xf32> -> tensor<3x4xf32>
      %3 = qc.pad %x {pads = array<i64: 2, 1, 1, 1>, mode = #qc<pad_mode wrap>} : tensor<3x2xf32> -> tensor<6x4xf32>
      %4 = qc.pad %x {pads = array<i64: -1, 1, 1, 1>, mode = #qc<pad_mode edge>} : tensor<3x2xf32> -> tensor<3x4xf32>
      return %0, %1, %2, %3, %4 : tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>, tensor<6x4xf32>, tensor<3x4xf32>
    })mlir";
  auto out = run(src, {f32({3, 2}, {1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f})});
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(elems<float>(out[0]),
            (std::vector<float>{9, 9, 1.0f, 1.2f, 9, 9, 2.3f, 3.4f, 9, 9, 4.5f, 5.7f}));
  EXPECT_EQ(elems<float>(out[1]),
            (std::vector<float>{1.2f, 1.0f, 1.2f, 1.0f, 3.4f, 2.3f, 3.4f, 2.3f,
                                5.7f, 4.5f, 5.7f, 4.5f}));
  EXPECT_EQ(elems<float>(out[2]),
            (std::vector<float>{1.0f, 1.0f, 1.0f, 1.2f, 2.3f, 2.3f, 2.3f, 3.4f,
                                4.5f, 4.5f, 4.5f, 5.7f}));
  EXPECT_EQ(elems<float>(out[3]),
            (std::vector<float>{3.4f, 2.3f, 3.4f, 2.3f, 5.7f, 4.5f, 5.7f, 4.5f,
                                1.2f, 1.0f, 1.2f, 1.0f, 3.4f, 2.3f, 3.4f, 2.3f,
                                5.7f, 4.5f, 5.7f, 4.5f, 1.2f, 1.0f, 1.2f, 1.0f}));
  // Crop the first row, then pad the end by edge.
  EXPECT_EQ(elems<float>(out[4]),
            (std::vector<float>{2.3f, 2.3f, 3.4f, 3.4f, 4.5f, 4.5f, 5.7f, 5.7f,
                                4.5f, 4.5f, 5.7f, 5.7f}));
}

TEST_F(ShapeKernelTest, ReflectPadWiderThanOneMirror) {
  // A 2-D reflect pad on both sides of both dimensions, against the formula.
  const char *src = R"mlir(
    func.func @f(%x: tensor<3x4xf32>) -> tensor<7x9xf32> {
      %0 = qc.pad %x {pads = array<i64: 2, 3, 2, 2>, mode = #qc<pad_mode reflect>} : tensor<3x4xf32> -> tensor<7x9xf32>
      return %0 : tensor<7x9xf32>
    })mlir";
  Tensor x = iota({3, 4});
  auto out = run(src, {x});
  ASSERT_EQ(out.size(), 1u);
  auto reflect = [](int64_t j, int64_t n) {
    if (j < 0)
      return -j;
    if (j >= n)
      return 2 * n - 2 - j;
    return j;
  };
  for (int i = 0; i < 7; ++i)
    for (int j = 0; j < 9; ++j)
      EXPECT_EQ(out[0].data<float>()[i * 9 + j],
                x.data<float>()[reflect(i - 2, 3) * 4 + reflect(j - 3, 4)])
          << i << "," << j;
}

TEST_F(ShapeKernelTest, QuantizedPadQuantizesTheValue) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<2x!quant.uniform<i8:f32, 0.5:3>>)
        -> (tensor<4x!quant.uniform<i8:f32, 0.5:3>>, tensor<4x!quant.uniform<i8:f32, 0.5:3>>,
            tensor<3x!quant.uniform<i8:f32, 0.5:3>>) {
      %0 = qc.pad %x {pads = array<i64: 1, 1>, value = 1.25 : f64}
           : tensor<2x!quant.uniform<i8:f32, 0.5:3>> -> tensor<4x!quant.uniform<i8:f32, 0.5:3>>
      %1 = qc.pad %x {pads = array<i64: 1, 1>}
           : tensor<2x!quant.uniform<i8:f32, 0.5:3>> -> tensor<4x!quant.uniform<i8:f32, 0.5:3>>
      %2 = qc.pad %x {pads = array<i64: 0, 1>, value = 1000.0 : f64}
           : tensor<2x!quant.uniform<i8:f32, 0.5:3>> -> tensor<3x!quant.uniform<i8:f32, 0.5:3>>
      return %0, %1, %2 : tensor<4x!quant.uniform<i8:f32, 0.5:3>>, tensor<4x!quant.uniform<i8:f32, 0.5:3>>,
        tensor<3x!quant.uniform<i8:f32, 0.5:3>>
    })mlir";
  auto out = run(src, {makeTensor<int8_t>(DType::I8, {2}, {-7, 9})});
  ASSERT_EQ(out.size(), 3u);
  // 1.25 / 0.5 = 2.5 -> 2 (half to even) + 3.
  EXPECT_EQ(elems<int8_t>(out[0]), (std::vector<int8_t>{5, -7, 9, 5}));
  EXPECT_EQ(elems<int8_t>(out[1]), (std::vector<int8_t>{3, -7, 9, 3}));
  EXPECT_EQ(elems<int8_t>(out[2]), (std::vector<int8_t>{-7, 9, 127}));
}

TEST_F(ShapeKernelTest, ResizeNearestModes) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<1x1x2x2xf32>, %y: tensor<1x1x2x4xf32>, %z: tensor<4x4xf32>)
        -> (tensor<1x1x4x6xf32>, tensor<1x1x1x2xf32>, tensor<8x8xf32>, tensor<8x8xf32>) {
      %0 = qc.resize %x {scales = array<f64: 1.0, 1.0, 2.0, 3.0>} : tensor<1x1x2x2xf32> -> tensor<1x1x4x6xf32>
      %1 = qc.resize %y {scales = array<f64: 1.0, 1.0, 0.6, 0.6>} : tensor<1x1x2x4xf32> -> tensor<1x1x1x2xf32>
      %2 = qc.resize %z {coordinate_mode = #qc<coordinate_mode asymmetric>, nearest_mode = #qc<nearest_mode ceil>}
           : tensor<4x4xf32> -> tensor<8x8xf32>
      %3 = qc.resize %z {coordinate_mode = #qc<coordinate_mode align_corners>, nearest_mode = #qc<nearest_mode round_prefer_ceil>}
           : tensor<4x4xf32> -> tensor<8x8xf32>
      return %0, %1, %2, %3 : tensor<1x1x4x6xf32>, tensor<1x1x1x2xf32>, tensor<8x8xf32>, tensor<8x8xf32>
    })mlir";
  auto out = run(src, {iota({1, 1, 2, 2}), iota({1, 1, 2, 4}), iota({4, 4})});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(elems<float>(out[0]),
            (std::vector<float>{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2,
                                3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}));
  EXPECT_EQ(elems<float>(out[1]), (std::vector<float>{1, 3}));
  std::vector<float> ceilRow = {1, 2, 2, 3, 3, 4, 4, 4};
  std::vector<int> ceilRows = {0, 1, 1, 2, 2, 3, 3, 3};
  std::vector<int> alignIdx = {0, 0, 1, 1, 2, 2, 3, 3};
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 8; ++j) {
      EXPECT_EQ(out[2].data<float>()[i * 8 + j], ceilRow[j] + 4 * ceilRows[i]);
      EXPECT_EQ(out[3].data<float>()[i * 8 + j],
                1 + alignIdx[j] + 4 * alignIdx[i]);
    }
}

TEST_F(ShapeKernelTest, ResizeLinear) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<1x1x2x2xf32>, %y: tensor<1x1x2x4xf32>, %r: tensor<1x4xf32>)
        -> (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x1x2xf32>, tensor<1x6xf32>) {
      %0 = qc.resize %x {mode = #qc<resize_mode linear>} : tensor<1x1x2x2xf32> -> tensor<1x1x4x4xf32>
      %1 = qc.resize %x {mode = #qc<resize_mode linear>, coordinate_mode = #qc<coordinate_mode align_corners>}
           : tensor<1x1x2x2xf32> -> tensor<1x1x4x4xf32>
      %2 = qc.resize %y {mode = #qc<resize_mode linear>, scales = array<f64: 1.0, 1.0, 0.6, 0.6>}
           : tensor<1x1x2x4xf32> -> tensor<1x1x1x2xf32>
      %3 = qc.resize %r {mode = #qc<resize_mode linear>, coordinate_mode = #qc<coordinate_mode half_pixel_symmetric>}
           : tensor<1x4xf32> -> tensor<1x6xf32>
      return %0, %1, %2, %3 : tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x1x2xf32>, tensor<1x6xf32>
    })mlir";
  auto out = run(src, {iota({1, 1, 2, 2}), iota({1, 1, 2, 4}), iota({1, 4})});
  ASSERT_EQ(out.size(), 4u);
  expectNear(out[0], {1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25,
                      3.5, 3, 3.25, 3.75, 4},
             1e-6f);
  expectNear(out[1], {1, 1.3333333f, 1.6666667f, 2, 1.6666667f, 2, 2.3333333f,
                      2.6666667f, 2.3333333f, 2.6666667f, 3, 3.3333333f, 3,
                      3.3333333f, 3.6666667f, 4},
             1e-6f);
  expectNear(out[2], {2.6666665f, 4.3333331f}, 1e-6f);
  expectNear(out[3], {1, 1.5, 2.1666667f, 2.8333333f, 3.5, 4}, 1e-6f);
}

TEST_F(ShapeKernelTest, ResizeCubic) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<1x1x4x4xf32>)
        -> (tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>, tensor<1x1x3x3xf32>) {
      %0 = qc.resize %x {mode = #qc<resize_mode cubic>} : tensor<1x1x4x4xf32> -> tensor<1x1x8x8xf32>
      %1 = qc.resize %x {mode = #qc<resize_mode cubic>, cubic_coeff_a = -0.5 : f64, exclude_outside = true}
           : tensor<1x1x4x4xf32> -> tensor<1x1x8x8xf32>
      %2 = qc.resize %x {mode = #qc<resize_mode cubic>, coordinate_mode = #qc<coordinate_mode asymmetric>}
           : tensor<1x1x4x4xf32> -> tensor<1x1x8x8xf32>
      %3 = qc.resize %x {mode = #qc<resize_mode cubic>, coordinate_mode = #qc<coordinate_mode pytorch_half_pixel>}
           : tensor<1x1x4x4xf32> -> tensor<1x1x3x3xf32>
      return %0, %1, %2, %3 : tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>, tensor<1x1x3x3xf32>
    })mlir";
  auto out = run(src, {iota({1, 1, 4, 4})});
  ASSERT_EQ(out.size(), 4u);
  auto row = [](const Tensor &t, int r, int width) {
    return std::vector<float>(t.data<float>() + r * width,
                              t.data<float>() + (r + 1) * width);
  };
  Tensor r0 = f32({8}, row(out[0], 0, 8));
  expectNear(r0, {0.47265625f, 0.76953125f, 1.24609375f, 1.875f, 2.28125f,
                  2.91015625f, 3.38671875f, 3.68359375f},
             1e-5f);
  Tensor r7 = f32({8}, row(out[0], 7, 8));
  expectNear(r7, {13.3164062f, 13.6132812f, 14.0898438f, 14.71875f, 15.125f,
                  15.7539062f, 16.2304688f, 16.5273438f},
             1e-5f);
  Tensor e0 = f32({8}, row(out[1], 0, 8));
  expectNear(e0, {0.55882353f, 0.81494204f, 1.35698249f, 1.89705882f,
                  2.39705882f, 2.93713516f, 3.47917561f, 3.73529412f},
             1e-5f);
  Tensor e3 = f32({8}, row(out[1], 3, 8));
  expectNear(e3, {5.91176471f, 6.16788321f, 6.70992366f, 7.25f, 7.75f,
                  8.29007634f, 8.83211679f, 9.08823529f},
             1e-5f);
  Tensor a1 = f32({8}, row(out[2], 1, 8));
  expectNear(a1, {2.625f, 3.03125f, 3.625f, 4.125f, 4.625f, 5.21875f, 5.625f,
                  5.71875f},
             1e-5f);
  expectNear(out[3], {1.63078704f, 3.00462963f, 4.37847222f, 7.12615741f, 8.5f,
                      9.87384259f, 12.6215278f, 13.9953704f, 15.369213f},
             1e-5f);
}

TEST_F(ShapeKernelTest, QuantizedResizeAndTransposeMoveStoredIntegers) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<1x2x2x!quant.uniform<u8:f32, 0.1:128>>)
        -> (tensor<1x4x4x!quant.uniform<u8:f32, 0.1:128>>, tensor<2x1x2x!quant.uniform<u8:f32, 0.1:128>>,
            tensor<1x2x4x!quant.uniform<u8:f32, 0.1:128>>) {
      %0 = qc.resize %x {scales = array<f64: 1.0, 2.0, 2.0>} : tensor<1x2x2x!quant.uniform<u8:f32, 0.1:128>>
           -> tensor<1x4x4x!quant.uniform<u8:f32, 0.1:128>>
      %1 = qc.transpose %x {perm = array<i64: 2, 0, 1>} : tensor<1x2x2x!quant.uniform<u8:f32, 0.1:128>>
           -> tensor<2x1x2x!quant.uniform<u8:f32, 0.1:128>>
      %2 = qc.resize %x {mode = #qc<resize_mode linear>} : tensor<1x2x2x!quant.uniform<u8:f32, 0.1:128>>
           -> tensor<1x2x4x!quant.uniform<u8:f32, 0.1:128>>
      return %0, %1, %2 : tensor<1x4x4x!quant.uniform<u8:f32, 0.1:128>>, tensor<2x1x2x!quant.uniform<u8:f32, 0.1:128>>,
        tensor<1x2x4x!quant.uniform<u8:f32, 0.1:128>>
    })mlir";
  auto out = run(src, {makeTensor<uint8_t>(DType::U8, {1, 2, 2}, {0, 255, 130, 7})});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(elems<uint8_t>(out[0]),
            (std::vector<uint8_t>{0, 0, 255, 255, 0, 0, 255, 255, 130, 130, 7, 7,
                                  130, 130, 7, 7}));
  EXPECT_EQ(elems<uint8_t>(out[1]), (std::vector<uint8_t>{0, 130, 255, 7}));
  // Linear along the last axis: weights 1, .75/.25, .25/.75, 1 on real
  // values, requantized: 0.75 * 0 + 0.25 * 255 = 63.75 -> 64 (in units of the
  // scale, around the zero point).
  EXPECT_EQ(elems<uint8_t>(out[2]),
            (std::vector<uint8_t>{0, 64, 191, 255, 130, 99, 38, 7}));
}

TEST_F(ShapeKernelTest, ThreadCountDoesNotChangeResults) {
  // Large enough for every kernel to split its work across threads.
  const char *src = R"mlir(
    func.func @f(%x: tensor<3x64x96xf32>, %i: tensor<50xi64>)
        -> (tensor<96x3x64xf32>, tensor<5x70x101xf32>, tensor<3x128x150xf32>, tensor<3x128x192xf32>,
            tensor<3x50x96xf32>, tensor<3x32x96xf32>) {
      %0 = qc.transpose %x {perm = array<i64: 2, 0, 1>} : tensor<3x64x96xf32> -> tensor<96x3x64xf32>
      %1 = qc.pad %x {pads = array<i64: 1, 3, 2, 1, 3, 3>, mode = #qc<pad_mode reflect>} : tensor<3x64x96xf32> -> tensor<5x70x101xf32>
      %2 = qc.resize %x {mode = #qc<resize_mode linear>} : tensor<3x64x96xf32> -> tensor<3x128x150xf32>
      %3 = qc.resize %x {mode = #qc<resize_mode nearest>} : tensor<3x64x96xf32> -> tensor<3x128x192xf32>
      %4 = qc.gather %x, %i {axis = 1 : i64} : (tensor<3x64x96xf32>, tensor<50xi64>) -> tensor<3x50x96xf32>
      %5 = qc.slice %x {offsets = array<i64: 2, 63, 0>, sizes = array<i64: 3, 32, 96>, strides = array<i64: -1, -2, 1>}
           : tensor<3x64x96xf32> -> tensor<3x32x96xf32>
      return %0, %1, %2, %3, %4, %5 : tensor<96x3x64xf32>, tensor<5x70x101xf32>, tensor<3x128x150xf32>,
        tensor<3x128x192xf32>, tensor<3x50x96xf32>, tensor<3x32x96xf32>
    })mlir";
  std::vector<float> x(3 * 64 * 96);
  for (size_t k = 0; k < x.size(); ++k)
    x[k] = static_cast<float>((k * 2654435761u) % 10007) / 97.0f;
  std::vector<int64_t> idx(50);
  for (int k = 0; k < 50; ++k)
    idx[k] = (k * 37) % 128 - 64;
  std::vector<Tensor> inputs = {f32({3, 64, 96}, x),
                                makeTensor<int64_t>(DType::I64, {50}, idx)};
  auto one = run(src, inputs, /*threads=*/1);
  auto many = run(src, inputs, /*threads=*/4);
  ASSERT_EQ(one.size(), 6u);
  ASSERT_EQ(many.size(), 6u);
  for (size_t k = 0; k < one.size(); ++k) {
    ASSERT_EQ(one[k].byteSize(), many[k].byteSize());
    EXPECT_EQ(std::memcmp(one[k].raw(), many[k].raw(), one[k].byteSize()), 0)
        << "result " << k;
  }
  // The strided slice against its formula.
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 32; ++b)
      for (int c = 0; c < 96; ++c)
        ASSERT_EQ(one[5].data<float>()[(a * 32 + b) * 96 + c],
                  x[((2 - a) * 64 + 63 - 2 * b) * 96 + c]);
}

} // namespace
