//===- QuantKernelsTest.cpp - quant.qcast/dcast/scast, qc.fake_quant ------===//
//
// Part of quantc. Quantized results must equal numerics::quantize /
// numerics::dequantize applied element by element with the parameters the
// test derives itself from the type; every comparison is exact.
//
//===----------------------------------------------------------------------===//

#include "ExecutorTestUtil.h"

#include "qc/Dialect/QC/Utils/Numerics.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::testing;

namespace {

class QuantKernelTest : public ExecutorFixture {
protected:
  QuantKernelTest() : ExecutorFixture(/*threads=*/3) {}
};

TEST_F(QuantKernelTest, QcastTiesSaturationAndNaN) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  // Scale 0.5: x / s lands exactly on .5 for the first six values.
  std::vector<float> x = {0.25f,  0.75f,   1.25f, -0.25f, -0.75f, -1.25f,
                          100.0f, -100.0f, inf,   -inf,   nan,    0.0f};
  auto out = run(R"mlir(
    func.func @f(%x: tensor<12xf32>) -> (tensor<12x!quant.uniform<i8:f32, 0.5>>,
                                         tensor<12x!quant.uniform<u8:f32, 0.5:10>>,
                                         tensor<12x!quant.uniform<i8<-127:127>:f32, 0.5:1>>) {
      %0 = quant.qcast %x : tensor<12xf32> to tensor<12x!quant.uniform<i8:f32, 0.5>>
      %1 = quant.qcast %x : tensor<12xf32> to tensor<12x!quant.uniform<u8:f32, 0.5:10>>
      %2 = quant.qcast %x : tensor<12xf32> to tensor<12x!quant.uniform<i8<-127:127>:f32, 0.5:1>>
      return %0, %1, %2 : tensor<12x!quant.uniform<i8:f32, 0.5>>,
                          tensor<12x!quant.uniform<u8:f32, 0.5:10>>,
                          tensor<12x!quant.uniform<i8<-127:127>:f32, 0.5:1>>
    })mlir",
                 {f32({12}, x)});
  ASSERT_EQ(out.size(), 3u);
  // Ties to even, zero point added after rounding, saturation, NaN -> zp.
  std::vector<int> i8 = {0, 2, 2, 0, -2, -2, 127, -128, 127, -128, 0, 0};
  std::vector<int> u8 = {10, 12, 12, 10, 8, 8, 210, 0, 255, 0, 10, 10};
  std::vector<int> narrow = {1, 3, 3, 1, -1, -1, 127, -127, 127, -127, 1, 1};
  ASSERT_EQ(out[0].dtype(), DType::I8);
  ASSERT_EQ(out[1].dtype(), DType::U8);
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(out[0].getAsDouble(i), i8[i]) << i;
    EXPECT_EQ(out[1].getAsDouble(i), u8[i]) << i;
    EXPECT_EQ(out[2].getAsDouble(i), narrow[i]) << i;
  }
}

TEST_F(QuantKernelTest, QcastDcastPerAxisAndSubChannel) {
  auto x = randomFloats(4 * 6, 1, -3.0f, 3.0f);
  auto out = run(R"mlir(
    !pa = !quant.uniform<i8:f32:0, {0.1:1, 0.02, 0.3:-2, 0.05:4}>
    !sc = !quant.uniform<u4:f32:{0:2, 1:3}, {{0.2:8, 0.5:3}, {0.4:0, 0.25:15}}>
    func.func @f(%x: tensor<4x6xf32>) -> (tensor<4x6x!pa>, tensor<4x6xf32>, tensor<4x6x!sc>, tensor<4x6xf32>) {
      %0 = quant.qcast %x : tensor<4x6xf32> to tensor<4x6x!pa>
      %1 = quant.dcast %0 : tensor<4x6x!pa> to tensor<4x6xf32>
      %2 = quant.qcast %x : tensor<4x6xf32> to tensor<4x6x!sc>
      %3 = quant.dcast %2 : tensor<4x6x!sc> to tensor<4x6xf32>
      return %0, %1, %2, %3 : tensor<4x6x!pa>, tensor<4x6xf32>, tensor<4x6x!sc>, tensor<4x6xf32>
    })mlir",
                 {f32({4, 6}, x)});
  ASSERT_EQ(out.size(), 4u);
  const float paS[4] = {0.1f, 0.02f, 0.3f, 0.05f};
  const int paZ[4] = {1, 0, -2, 4};
  const float scS[2][2] = {{0.2f, 0.5f}, {0.4f, 0.25f}};
  const int scZ[2][2] = {{8, 3}, {0, 15}};
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 6; ++c) {
      int i = r * 6 + c;
      int32_t q = numerics::quantize(x[i], paS[r], paZ[r], -128, 127);
      EXPECT_EQ(out[0].getAsDouble(i), q) << i;
      EXPECT_EQ(out[1].data<float>()[i],
                numerics::dequantize(q, paS[r], paZ[r]));
      float s = scS[r / 2][c / 3];
      int z = scZ[r / 2][c / 3];
      int32_t q4 = numerics::quantize(x[i], s, z, 0, 15);
      EXPECT_EQ(out[2].getAsDouble(i), q4) << i;
      EXPECT_EQ(out[3].data<float>()[i], numerics::dequantize(q4, s, z));
    }
}

TEST_F(QuantKernelTest, DcastToHalfAndI32Storage) {
  // f16-expressed: the scale is an f16 value (exactly as imported from an
  // f16 ONNX tensor) and the product is rounded once to f16.
  std::vector<int> codes;
  for (int q = -128; q < 128; ++q)
    codes.push_back(q);
  Tensor in16(DType::I8, {256});
  for (int i = 0; i < 256; ++i)
    in16.setFromDouble(i, codes[i]);
  std::vector<int> big = {std::numeric_limits<int32_t>::max(), -123456789, 0,
                          1};
  Tensor in32(DType::I32, {4});
  std::memcpy(in32.raw(), big.data(), 16);
  auto out = run(R"mlir(
    func.func @f(%q: tensor<256x!quant.uniform<i8:f16, 0.0999755859375:3>>,
                 %a: tensor<4x!quant.uniform<i32:f32, 0.001>>) -> (tensor<256xf16>, tensor<4xf32>) {
      %0 = quant.dcast %q : tensor<256x!quant.uniform<i8:f16, 0.0999755859375:3>> to tensor<256xf16>
      %1 = quant.dcast %a : tensor<4x!quant.uniform<i32:f32, 0.001>> to tensor<4xf32>
      return %0, %1 : tensor<256xf16>, tensor<4xf32>
    })mlir",
                 {in16, in32});
  ASSERT_EQ(out.size(), 2u);
  ASSERT_EQ(out[0].dtype(), DType::F16);
  for (int i = 0; i < 256; ++i) {
    uint16_t want =
        floatToHalf(numerics::dequantize(codes[i], 0.0999755859375f, 3));
    EXPECT_EQ(out[0].data<uint16_t>()[i], want) << codes[i];
  }
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(out[1].data<float>()[i], numerics::dequantize(big[i], 0.001f, 0));
}

TEST_F(QuantKernelTest, ScastReinterpretsStorageBothWays) {
  auto out = run(R"mlir(
    func.func @f(%a: tensor<4xi8>, %b: tensor<4xi4>) -> (tensor<4xi8>, tensor<4x!quant.uniform<u4:f32, 1.0>>, tensor<4xi4>) {
      %0 = quant.scast %a : tensor<4xi8> to tensor<4x!quant.uniform<i8:f32, 0.1>>
      %1 = quant.scast %0 : tensor<4x!quant.uniform<i8:f32, 0.1>> to tensor<4xi8>
      %2 = quant.scast %b : tensor<4xi4> to tensor<4x!quant.uniform<u4:f32, 1.0>>
      %3 = quant.scast %2 : tensor<4x!quant.uniform<u4:f32, 1.0>> to tensor<4xi4>
      return %1, %2, %3 : tensor<4xi8>, tensor<4x!quant.uniform<u4:f32, 1.0>>, tensor<4xi4>
    })mlir",
                 {intTensor(DType::I8, {4}, {-128, -1, 0, 127}),
                  intTensor(DType::I8, {4}, {-8, -1, 0, 7})});
  ASSERT_EQ(out.size(), 3u);
  std::vector<int> a = {-128, -1, 0, 127}, u4 = {8, 15, 0, 7},
                   i4 = {-8, -1, 0, 7};
  ASSERT_EQ(out[1].dtype(), DType::U8);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(out[0].getAsDouble(i), a[i]);
    EXPECT_EQ(out[1].getAsDouble(i), u4[i]) << "i4 bits viewed as u4";
    EXPECT_EQ(out[2].getAsDouble(i), i4[i]) << "and back, sign-extended";
  }
}

TEST_F(QuantKernelTest, FakeQuantAllGranularities) {
  auto x = randomFloats(2 * 8, 2, -2.0f, 2.0f);
  x[1] = 50.0f; // saturates
  auto out = run(R"mlir(
    func.func @f(%x: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>) {
      %0 = qc.fake_quant %x {quant_type = !quant.uniform<i8:f32, 0.1:-3>} : tensor<2x8xf32>
      %1 = qc.fake_quant %x {quant_type = !quant.uniform<i8<-127:127>:f32:0, {0.01, 0.02}>} : tensor<2x8xf32>
      %2 = qc.fake_quant %x {quant_type = !quant.uniform<i4:f32:{0:1, 1:4}, {{0.1, 0.3}, {0.2:1, 0.05:-1}}>} : tensor<2x8xf32>
      return %0, %1, %2 : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>
    })mlir",
                 {f32({2, 8}, x)});
  ASSERT_EQ(out.size(), 3u);
  const float pa[2] = {0.01f, 0.02f};
  const float sc[2][2] = {{0.1f, 0.3f}, {0.2f, 0.05f}};
  const int scz[2][2] = {{0, 0}, {1, -1}};
  auto fq = [](float v, float s, int z, int lo, int hi) {
    return numerics::dequantize(numerics::quantize(v, s, z, lo, hi), s, z);
  };
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 8; ++c) {
      int i = r * 8 + c;
      EXPECT_EQ(out[0].data<float>()[i], fq(x[i], 0.1f, -3, -128, 127)) << i;
      EXPECT_EQ(out[1].data<float>()[i], fq(x[i], pa[r], 0, -127, 127)) << i;
      EXPECT_EQ(out[2].data<float>()[i],
                fq(x[i], sc[r][c / 4], scz[r][c / 4], -8, 7))
          << i;
    }
  EXPECT_EQ(out[0].data<float>()[1], (127 + 3) * 0.1f);
}

TEST_F(QuantKernelTest, FakeQuantHalfInput) {
  // f16 in, f16 out, f16 scale: quantize in float, dequantize, round to f16.
  auto xs = randomFloats(64, 3, -4.0f, 4.0f);
  Tensor x(DType::F16, {64});
  for (int i = 0; i < 64; ++i)
    x.setFromDouble(i, xs[i]);
  auto out = run(R"mlir(
    func.func @f(%x: tensor<64xf16>) -> tensor<64xf16> {
      %0 = qc.fake_quant %x {quant_type = !quant.uniform<i8:f16, 0.03125:2>} : tensor<64xf16>
      return %0 : tensor<64xf16>
    })mlir",
                 {x});
  ASSERT_EQ(out.size(), 1u);
  for (int i = 0; i < 64; ++i) {
    float v = static_cast<float>(x.getAsDouble(i));
    int32_t q = numerics::quantize(v, 0.03125f, 2, -128, 127);
    EXPECT_EQ(out[0].data<uint16_t>()[i],
              floatToHalf(numerics::dequantize(q, 0.03125f, 2)));
  }
}

} // namespace
