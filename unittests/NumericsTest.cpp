//===- NumericsTest.cpp - the quantization arithmetic, edge by edge -------===//
//
// Part of quantc. Every expectation here is a consequence of the rules in
// docs/Numerics.md; a backend that disagrees with one of them is wrong.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/Utils/Numerics.h"

#include <gtest/gtest.h>

#include <cfenv>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

using namespace mlir::qc::numerics;

namespace {

constexpr int32_t kI32Min = std::numeric_limits<int32_t>::min();
constexpr int32_t kI32Max = std::numeric_limits<int32_t>::max();
constexpr int32_t kTwo30 = int32_t(1) << 30;
const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

constexpr QRange kI8{-128, 127};
constexpr QRange kU8{0, 255};
constexpr QRange kI4{-8, 7};
constexpr QRange kU4{0, 15};

int32_t q(float x, float scale, int32_t zp, QRange r) {
  return quantize(x, scale, zp, r.qmin, r.qmax);
}

//===----------------------------------------------------------------------===//
// roundHalfToEven
//===----------------------------------------------------------------------===//

TEST(RoundHalfToEven, TiesGoToEvenDouble) {
  EXPECT_EQ(roundHalfToEven(0.5), 0.0);
  EXPECT_EQ(roundHalfToEven(1.5), 2.0);
  EXPECT_EQ(roundHalfToEven(2.5), 2.0);
  EXPECT_EQ(roundHalfToEven(3.5), 4.0);
  EXPECT_EQ(roundHalfToEven(-0.5), 0.0);
  EXPECT_EQ(roundHalfToEven(-1.5), -2.0);
  EXPECT_EQ(roundHalfToEven(-2.5), -2.0);
  EXPECT_EQ(roundHalfToEven(-3.5), -4.0);
  EXPECT_EQ(roundHalfToEven(127.5), 128.0);
  EXPECT_EQ(roundHalfToEven(-128.5), -128.0);
  // The sign of zero survives: -0.5 rounds to -0.0.
  EXPECT_TRUE(std::signbit(roundHalfToEven(-0.5)));
}

TEST(RoundHalfToEven, TiesGoToEvenFloat) {
  EXPECT_EQ(roundHalfToEven(0.5f), 0.0f);
  EXPECT_EQ(roundHalfToEven(1.5f), 2.0f);
  EXPECT_EQ(roundHalfToEven(2.5f), 2.0f);
  EXPECT_EQ(roundHalfToEven(-0.5f), 0.0f);
  EXPECT_EQ(roundHalfToEven(-1.5f), -2.0f);
  EXPECT_EQ(roundHalfToEven(-2.5f), -2.0f);
  // Largest float with a fractional part: 2^23 - 0.5 ties to 2^23.
  EXPECT_EQ(roundHalfToEven(8388607.5f), 8388608.0f);
  EXPECT_EQ(roundHalfToEven(-8388607.5f), -8388608.0f);
  EXPECT_EQ(roundHalfToEven(8388609.0f), 8388609.0f);
}

TEST(RoundHalfToEven, NonTiesGoToNearest) {
  // The largest double below 0.5: naive floor(x + 0.5) returns 1 here.
  EXPECT_EQ(roundHalfToEven(0.49999999999999994), 0.0);
  EXPECT_EQ(roundHalfToEven(std::nextafter(2.5, 3.0)), 3.0);
  EXPECT_EQ(roundHalfToEven(std::nextafter(2.5, 2.0)), 2.0);
  EXPECT_EQ(roundHalfToEven(-2.6), -3.0);
  EXPECT_EQ(roundHalfToEven(-2.4), -2.0);
  EXPECT_EQ(roundHalfToEven(std::nextafter(0.5f, 1.0f)), 1.0f);
  EXPECT_EQ(roundHalfToEven(std::nextafter(-1.5f, 0.0f)), -1.0f);
  // 2^52 - 0.5 is the largest double tie; 2^52 + 1 is already an integer.
  EXPECT_EQ(roundHalfToEven(4503599627370495.5), 4503599627370496.0);
  EXPECT_EQ(roundHalfToEven(4503599627370497.0), 4503599627370497.0);
}

TEST(RoundHalfToEven, NonFinitePassThrough) {
  EXPECT_TRUE(std::isnan(roundHalfToEven(std::nan(""))));
  EXPECT_TRUE(std::isnan(roundHalfToEven(kNaN)));
  EXPECT_EQ(roundHalfToEven(kInf), kInf);
  EXPECT_EQ(roundHalfToEven(-kInf), -kInf);
  EXPECT_EQ(roundHalfToEven(-HUGE_VAL), -HUGE_VAL);
}

TEST(RoundHalfToEven, IndependentOfRoundingMode) {
  const int modes[] = {FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO, FE_TONEAREST};
  // volatile: keep the compiler from folding the calls in the default mode.
  volatile double ties[] = {0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.4, -0.6, 7.7};
  const double want[] = {0.0, 2.0, 2.0, -0.0, -2.0, -2.0, 0.0, -1.0, 8.0};
  volatile float tiesF[] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 0.4f};
  const float wantF[] = {0.0f, 2.0f, 2.0f, -0.0f, -2.0f, -2.0f, 0.0f};
  int saved = std::fegetround();
  for (int mode : modes) {
    ASSERT_EQ(std::fesetround(mode), 0);
    double got[9];
    float gotF[7];
    for (int i = 0; i < 9; ++i)
      got[i] = roundHalfToEven(ties[i]);
    for (int i = 0; i < 7; ++i)
      gotF[i] = roundHalfToEven(tiesF[i]);
    std::fesetround(saved);
    for (int i = 0; i < 9; ++i)
      EXPECT_EQ(got[i], want[i]) << "mode " << mode << " input " << ties[i];
    for (int i = 0; i < 7; ++i)
      EXPECT_EQ(gotF[i], wantF[i]) << "mode " << mode << " input " << tiesF[i];
  }
}

TEST(RoundHalfToEven, MatchesNearbyintInDefaultMode) {
  ASSERT_EQ(std::fegetround(), FE_TONEAREST);
  std::mt19937_64 rng(0x5eed);
  for (int i = 0; i < 100000; ++i) {
    // Halves, quarters and arbitrary fractions around +-2^k.
    int k = static_cast<int>(rng() % 40);
    double base = std::ldexp(double(rng() >> 11), -53) * std::ldexp(1.0, k);
    double x = (rng() & 1) ? -base : base;
    if (i % 3 == 0)
      x = std::round(x * 2.0) / 2.0;
    ASSERT_EQ(roundHalfToEven(x), std::nearbyint(x)) << x;
    float xf = static_cast<float>(x);
    ASSERT_EQ(roundHalfToEven(xf), std::nearbyint(xf)) << xf;
  }
}

//===----------------------------------------------------------------------===//
// Storage ranges
//===----------------------------------------------------------------------===//

TEST(StorageRange, CommonTypes) {
  auto check = [](QRange r, int32_t lo, int32_t hi) {
    EXPECT_EQ(r.qmin, lo);
    EXPECT_EQ(r.qmax, hi);
  };
  check(getStorageRange(8, true), -128, 127);
  check(getStorageRange(8, false), 0, 255);
  check(getStorageRange(4, true), -8, 7);
  check(getStorageRange(4, false), 0, 15);
  check(getStorageRange(16, true), -32768, 32767);
  check(getStorageRange(32, true), kI32Min, kI32Max);
  check(getStorageRange(31, false), 0, kI32Max);
  check(getStorageRange(8, true, /*narrowRange=*/true), -127, 127);
  check(getStorageRange(4, true, /*narrowRange=*/true), -7, 7);
  check(getStorageRange(8, false, /*narrowRange=*/true), 1, 255);
}

//===----------------------------------------------------------------------===//
// quantize
//===----------------------------------------------------------------------===//

TEST(Quantize, Basic) {
  EXPECT_EQ(q(1.0f, 0.5f, 0, kI8), 2);
  EXPECT_EQ(q(-1.0f, 0.5f, 0, kI8), -2);
  EXPECT_EQ(q(1.0f, 0.5f, 10, kU8), 12);
  EXPECT_EQ(q(0.0f, 0.1f, 37, kU8), 37);
  EXPECT_EQ(q(-0.0f, 0.1f, -3, kI8), -3);
  EXPECT_EQ(q(0.26f, 0.1f, 0, kI8), 3);
}

TEST(Quantize, TiesRoundHalfToEven) {
  EXPECT_EQ(q(0.5f, 1.0f, 0, kI8), 0);
  EXPECT_EQ(q(1.5f, 1.0f, 0, kI8), 2);
  EXPECT_EQ(q(2.5f, 1.0f, 0, kI8), 2);
  EXPECT_EQ(q(-0.5f, 1.0f, 0, kI8), 0);
  EXPECT_EQ(q(-1.5f, 1.0f, 0, kI8), -2);
  EXPECT_EQ(q(-2.5f, 1.0f, 0, kI8), -2);
  EXPECT_EQ(q(1.25f, 0.5f, 0, kI8), 2);   // 2.5
  EXPECT_EQ(q(-0.75f, 0.5f, 0, kI8), -2); // -1.5
}

TEST(Quantize, RoundsBeforeAddingZeroPoint) {
  // round(2.5) + 1 = 3; rounding after the addition would give round(3.5) = 4.
  EXPECT_EQ(q(2.5f, 1.0f, 1, kI8), 3);
  EXPECT_EQ(q(0.5f, 1.0f, 1, kU8), 1);
  EXPECT_EQ(q(-0.5f, 1.0f, 3, kU8), 3);
  EXPECT_EQ(q(-1.5f, 1.0f, -5, kI8), -7);
}

TEST(Quantize, DividesInSinglePrecision) {
  // 0x1.666666p-2 / 0.1f is 3.4999998882... exactly, but the float quotient
  // is exactly 3.5, which ties to 4. A double division would give 3.
  EXPECT_EQ(q(0x1.666666p-2f, 0.1f, 0, kI8), 4);
  // Exactly 4.5000001117..., float quotient 4.5 -> 4 (double: 5).
  EXPECT_EQ(q(0x1.cccccep-2f, 0.1f, 0, kI8), 4);
  // Exactly 2.50000009..., float quotient 2.5 -> 2 (double: 3).
  EXPECT_EQ(q(0x1.99999ap-5f, 0.02f, 0, kI8), 2);
}

TEST(Quantize, DividesRatherThanMultipliesByReciprocal) {
  // x / 0.1f = 15.499999 -> 15, but x * (1 / 0.1f) = 15.5 -> 16.
  EXPECT_EQ(q(0x1.8cccccp+0f, 0.1f, 0, kI8), 15);
  // x / 0.1f = 19.4999981 -> 19, x * (1 / 0.1f) = 19.5 -> 20.
  EXPECT_EQ(q(0x1.f33332p+0f, 0.1f, 0, kI8), 19);
}

TEST(Quantize, SaturatesI8) {
  EXPECT_EQ(q(127.0f, 1.0f, 0, kI8), 127);
  EXPECT_EQ(q(127.4f, 1.0f, 0, kI8), 127);
  EXPECT_EQ(q(127.5f, 1.0f, 0, kI8), 127); // rounds to 128, clamps
  EXPECT_EQ(q(1000.0f, 1.0f, 0, kI8), 127);
  EXPECT_EQ(q(-128.0f, 1.0f, 0, kI8), -128);
  EXPECT_EQ(q(-128.5f, 1.0f, 0, kI8), -128);
  EXPECT_EQ(q(-129.0f, 1.0f, 0, kI8), -128);
  EXPECT_EQ(q(-1e30f, 1.0f, 0, kI8), -128);
}

TEST(Quantize, SaturatesU8) {
  EXPECT_EQ(q(255.0f, 1.0f, 0, kU8), 255);
  EXPECT_EQ(q(255.5f, 1.0f, 0, kU8), 255);
  EXPECT_EQ(q(256.0f, 1.0f, 0, kU8), 255);
  EXPECT_EQ(q(1e30f, 1.0f, 0, kU8), 255);
  EXPECT_EQ(q(-0.5f, 1.0f, 0, kU8), 0);
  EXPECT_EQ(q(-0.6f, 1.0f, 0, kU8), 0);
  EXPECT_EQ(q(-1.0f, 1.0f, 0, kU8), 0);
  EXPECT_EQ(q(-1e30f, 1.0f, 0, kU8), 0);
}

TEST(Quantize, SaturatesI4) {
  EXPECT_EQ(q(7.0f, 1.0f, 0, kI4), 7);
  EXPECT_EQ(q(7.5f, 1.0f, 0, kI4), 7);
  EXPECT_EQ(q(8.0f, 1.0f, 0, kI4), 7);
  EXPECT_EQ(q(-8.0f, 1.0f, 0, kI4), -8);
  EXPECT_EQ(q(-8.5f, 1.0f, 0, kI4), -8);
  EXPECT_EQ(q(-9.0f, 1.0f, 0, kI4), -8);
  EXPECT_EQ(q(3.0f, 0.25f, 0, kI4), 7);
  EXPECT_EQ(q(-3.0f, 0.25f, 0, kI4), -8);
}

TEST(Quantize, SaturatesU4) {
  EXPECT_EQ(q(15.0f, 1.0f, 0, kU4), 15);
  EXPECT_EQ(q(15.5f, 1.0f, 0, kU4), 15);
  EXPECT_EQ(q(16.0f, 1.0f, 0, kU4), 15);
  EXPECT_EQ(q(-1.0f, 1.0f, 0, kU4), 0);
  EXPECT_EQ(q(-0.5f, 1.0f, 0, kU4), 0);
  EXPECT_EQ(q(1.0f, 0.1f, 8, kU4), 15);
  EXPECT_EQ(q(-1.0f, 0.1f, 8, kU4), 0);
  EXPECT_EQ(q(0.3f, 0.1f, 8, kU4), 11);
}

TEST(Quantize, ZeroPointExtremes) {
  // u8, zero point 0: only non-negative reals are representable.
  EXPECT_EQ(q(0.0f, 0.5f, 0, kU8), 0);
  EXPECT_EQ(q(-0.2f, 0.5f, 0, kU8), 0);
  EXPECT_EQ(q(127.5f, 0.5f, 0, kU8), 255);
  EXPECT_EQ(q(200.0f, 0.5f, 0, kU8), 255);
  // u8, zero point 255: only non-positive reals.
  EXPECT_EQ(q(0.0f, 0.5f, 255, kU8), 255);
  EXPECT_EQ(q(0.5f, 0.5f, 255, kU8), 255);
  EXPECT_EQ(q(-50.0f, 0.5f, 255, kU8), 155);
  EXPECT_EQ(q(-127.5f, 0.5f, 255, kU8), 0);
  EXPECT_EQ(q(-200.0f, 0.5f, 255, kU8), 0);
  // i8, zero point -128.
  EXPECT_EQ(q(0.0f, 1.0f, -128, kI8), -128);
  EXPECT_EQ(q(-1.0f, 1.0f, -128, kI8), -128);
  EXPECT_EQ(q(255.0f, 1.0f, -128, kI8), 127);
  EXPECT_EQ(q(300.0f, 1.0f, -128, kI8), 127);
  EXPECT_EQ(q(100.5f, 1.0f, -128, kI8), -28); // 100 (even) - 128
  // i8, zero point 127.
  EXPECT_EQ(q(0.0f, 1.0f, 127, kI8), 127);
  EXPECT_EQ(q(1.0f, 1.0f, 127, kI8), 127);
  EXPECT_EQ(q(-255.0f, 1.0f, 127, kI8), -128);
  EXPECT_EQ(q(-256.0f, 1.0f, 127, kI8), -128);
}

TEST(Quantize, NaNGoesToZeroPoint) {
  const float negNaN = std::copysign(kNaN, -1.0f);
  EXPECT_EQ(q(kNaN, 0.1f, 0, kI8), 0);
  EXPECT_EQ(q(negNaN, 0.1f, 0, kI8), 0);
  EXPECT_EQ(q(kNaN, 0.1f, -128, kI8), -128);
  EXPECT_EQ(q(kNaN, 0.1f, 127, kI8), 127);
  EXPECT_EQ(q(kNaN, 0.1f, 0, kU8), 0);
  EXPECT_EQ(q(kNaN, 0.1f, 128, kU8), 128);
  EXPECT_EQ(q(negNaN, 0.1f, 255, kU8), 255);
  EXPECT_EQ(q(kNaN, 0.1f, 8, kU4), 8);
  EXPECT_EQ(q(kNaN, 0.1f, -3, kI4), -3);
  // And it dequantizes to real 0.
  EXPECT_EQ(dequantize(q(kNaN, 0.1f, 77, kU8), 0.1f, 77), 0.0f);
}

TEST(Quantize, InfinitySaturates) {
  EXPECT_EQ(q(kInf, 0.1f, 0, kI8), 127);
  EXPECT_EQ(q(-kInf, 0.1f, 0, kI8), -128);
  EXPECT_EQ(q(kInf, 0.1f, 255, kU8), 255);
  EXPECT_EQ(q(-kInf, 0.1f, 0, kU8), 0);
  EXPECT_EQ(q(kInf, 1.0f, 0, kI4), 7);
  EXPECT_EQ(q(-kInf, 1.0f, 0, kU4), 0);
  EXPECT_EQ(quantize(kInf, 1.0f, 0, kI32Min, kI32Max), kI32Max);
  EXPECT_EQ(quantize(-kInf, 1.0f, 0, kI32Min, kI32Max), kI32Min);
}

TEST(Quantize, OverflowingDivisionSaturates) {
  // FLT_MAX / 1e-3 overflows to +inf in float.
  EXPECT_EQ(q(FLT_MAX, 1e-3f, 0, kI8), 127);
  EXPECT_EQ(q(-FLT_MAX, 1e-3f, 0, kU8), 0);
  // Finite but far beyond int32: no undefined float -> int conversion.
  EXPECT_EQ(quantize(1e20f, 1.0f, 0, kI32Min, kI32Max), kI32Max);
  EXPECT_EQ(quantize(-1e20f, 1.0f, 0, kI32Min, kI32Max), kI32Min);
  EXPECT_EQ(quantize(1e20f, 1.0f, -100, kI32Min, kI32Max), kI32Max);
}

TEST(Quantize, TinyValuesGoToZeroPoint) {
  EXPECT_EQ(q(1e-45f, 0.1f, 5, kU8), 5);
  EXPECT_EQ(q(-1e-45f, 0.1f, 5, kU8), 5);
  EXPECT_EQ(q(0.04999f, 0.1f, 5, kU8), 5);
}

//===----------------------------------------------------------------------===//
// dequantize
//===----------------------------------------------------------------------===//

TEST(Dequantize, Basic) {
  EXPECT_EQ(dequantize(-128, 0.5f, -128), 0.0f);
  EXPECT_EQ(dequantize(127, 0.5f, -128), 127.5f);
  EXPECT_EQ(dequantize(0, 0.5f, 0), 0.0f);
  EXPECT_EQ(dequantize(-7, 0.25f, 1), -2.0f);
  EXPECT_EQ(dequantize(0, 0.5f, 255), -127.5f);
  EXPECT_EQ(dequantize(15, 0.1f, 8), 7.0f * 0.1f);
}

TEST(Dequantize, SingleFloatMultiplication) {
  // (q - zp) is converted to float and multiplied once in float: the result
  // is the float product, not the double product rounded to float.
  volatile float scale = 0.1f;
  for (int32_t v = -128; v <= 127; ++v)
    EXPECT_EQ(dequantize(v, scale, -3), static_cast<float>(v + 3) * scale);
}

TEST(Dequantize, NoIntegerOverflow) {
  EXPECT_EQ(dequantize(kI32Max, 1.0f, kI32Min), 4294967296.0f);
  EXPECT_EQ(dequantize(kI32Min, 1.0f, kI32Max), -4294967296.0f);
}

TEST(Dequantize, RoundTripsEveryCode) {
  const float scale = 0.0123f;
  for (QRange r : {kI8, kU8, kI4, kU4})
    for (int32_t zp : {r.qmin, r.qmax, (r.qmin + r.qmax) / 2})
      for (int32_t v = r.qmin; v <= r.qmax; ++v)
        EXPECT_EQ(q(dequantize(v, scale, zp), scale, zp, r), v)
            << "zp " << zp << " code " << v;
}

//===----------------------------------------------------------------------===//
// chooseQuantParams
//===----------------------------------------------------------------------===//

/// The range's ends and 0 land where the contract says.
void expectCovers(const QuantParams &p, double rmin, double rmax, QRange r) {
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(q(0.0f, p.scale, p.zeroPoint, r), p.zeroPoint);
  EXPECT_EQ(dequantize(p.zeroPoint, p.scale, p.zeroPoint), 0.0f);
  if (rmin < 0) {
    EXPECT_LE(q(static_cast<float>(rmin), p.scale, p.zeroPoint, r), r.qmin + 1);
  }
  if (rmax > 0) {
    EXPECT_GE(q(static_cast<float>(rmax), p.scale, p.zeroPoint, r), r.qmax - 1);
  }
}

TEST(ChooseQuantParams, AllPositiveRangeIsWidenedToZero) {
  QuantParams p = chooseQuantParams(1.0, 3.0, 0, 255, false);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.scale, static_cast<float>(3.0 / 255.0));
  EXPECT_EQ(p.zeroPoint, 0);
  expectCovers(p, 0.0, 3.0, kU8);

  p = chooseQuantParams(1.0, 3.0, -128, 127, false);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.scale, static_cast<float>(3.0 / 255.0));
  EXPECT_EQ(p.zeroPoint, -128);
  expectCovers(p, 0.0, 3.0, kI8);
}

TEST(ChooseQuantParams, AllNegativeRangeIsWidenedToZero) {
  QuantParams p = chooseQuantParams(-4.0, -1.0, 0, 255, false);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.scale, static_cast<float>(4.0 / 255.0));
  EXPECT_EQ(p.zeroPoint, 255);
  expectCovers(p, -4.0, 0.0, kU8);

  p = chooseQuantParams(-4.0, -1.0, -128, 127, false);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.zeroPoint, 127);
  p = chooseQuantParams(-4.0, -1.0, -8, 7, false);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.scale, static_cast<float>(4.0 / 15.0));
  EXPECT_EQ(p.zeroPoint, 7);
}

TEST(ChooseQuantParams, MixedRangeNudgesZeroPoint) {
  // 0.3 / (1.3 / 255) = 58.846 -> 59.
  QuantParams p = chooseQuantParams(-0.3, 1.0, 0, 255, false);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.scale, static_cast<float>(1.3 / 255.0));
  EXPECT_EQ(p.zeroPoint, 59);
  expectCovers(p, -0.3, 1.0, kU8);
  p = chooseQuantParams(-0.3, 1.0, -128, 127, false);
  EXPECT_EQ(p.zeroPoint, -69);
  // u4: 0.3 / (1.3 / 15) = 3.46 -> 3.
  p = chooseQuantParams(-0.3, 1.0, 0, 15, false);
  EXPECT_EQ(p.zeroPoint, 3);
}

TEST(ChooseQuantParams, ZeroPointUsesTheFloatScale) {
  // With the exact scale 2/255, -rmin / scale = 127.5 would tie to 128; with
  // the float scale actually used it is 127.4999925 -> 127.
  QuantParams p = chooseQuantParams(-1.0, 1.0, 0, 255, false);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.scale, static_cast<float>(2.0 / 255.0));
  EXPECT_EQ(p.zeroPoint, 127);
  p = chooseQuantParams(-1.0, 1.0, -128, 127, false);
  EXPECT_EQ(p.zeroPoint, -1);
}

TEST(ChooseQuantParams, Symmetric) {
  // Signed: zp 0, scale = max|r| / ((qmax - qmin) / 2).
  QuantParams p = chooseQuantParams(-1.0, 2.0, -128, 127, true);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.scale, static_cast<float>(2.0 / 127.5));
  EXPECT_EQ(p.zeroPoint, 0);
  // The float scale is a hair above 2 / 127.5, so +-2 land on +-127.49999:
  // the full signed range is used symmetrically, -128 only for values beyond.
  EXPECT_GT(double(p.scale), 2.0 / 127.5);
  EXPECT_EQ(q(2.0f, p.scale, 0, kI8), 127);
  EXPECT_EQ(q(-2.0f, p.scale, 0, kI8), -127);
  EXPECT_EQ(q(-2.01f, p.scale, 0, kI8), -128);

  // Narrow signed range: the classic max|r| / 127.
  p = chooseQuantParams(-3.0, 1.0, -127, 127, true);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.scale, static_cast<float>(3.0 / 127.0));
  EXPECT_EQ(p.zeroPoint, 0);

  // Symmetric ignores which side is larger.
  QuantParams a = chooseQuantParams(-5.0, 0.5, -128, 127, true);
  QuantParams b = chooseQuantParams(-0.5, 5.0, -128, 127, true);
  EXPECT_EQ(a.scale, b.scale);
  EXPECT_EQ(a.zeroPoint, b.zeroPoint);

  // Unsigned: zero point at the midpoint, ties to even.
  p = chooseQuantParams(-1.0, 2.0, 0, 255, true);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.scale, static_cast<float>(2.0 / 127.5));
  EXPECT_EQ(p.zeroPoint, 128);
  p = chooseQuantParams(0.0, 1.0, 0, 15, true);
  EXPECT_EQ(p.scale, static_cast<float>(1.0 / 7.5));
  EXPECT_EQ(p.zeroPoint, 8);
  p = chooseQuantParams(-1.0, 0.0, -8, 7, true);
  EXPECT_EQ(p.scale, static_cast<float>(1.0 / 7.5));
  EXPECT_EQ(p.zeroPoint, 0);
}

TEST(ChooseQuantParams, DegenerateRanges) {
  QuantParams p = chooseQuantParams(0.0, 0.0, 0, 255, false);
  EXPECT_TRUE(p.ok());
  EXPECT_EQ(p.scale, 1.0f);
  EXPECT_EQ(p.zeroPoint, 0);
  p = chooseQuantParams(0.0, 0.0, -128, 127, false);
  EXPECT_TRUE(p.ok());
  EXPECT_EQ(p.scale, 1.0f);
  EXPECT_EQ(p.zeroPoint, 0);
  p = chooseQuantParams(0.0, 0.0, -128, 127, true);
  EXPECT_TRUE(p.ok());
  EXPECT_EQ(p.scale, 1.0f);
  EXPECT_EQ(p.zeroPoint, 0);
  p = chooseQuantParams(0.0, 0.0, 0, 255, true);
  EXPECT_TRUE(p.ok());
  EXPECT_EQ(p.scale, 1.0f);
  EXPECT_EQ(p.zeroPoint, 128);
  // A storage range without 0 gets the nearest code.
  p = chooseQuantParams(0.0, 0.0, 1, 255, false);
  EXPECT_EQ(p.zeroPoint, 1);
  // A range whose scale would not be a normal float is degenerate too...
  p = chooseQuantParams(-1e-40, 1e-40, -128, 127, false);
  EXPECT_TRUE(p.ok());
  EXPECT_EQ(p.scale, 1.0f);
  EXPECT_EQ(p.zeroPoint, 0);
  // ...but one just above FLT_MIN * 255 is not.
  p = chooseQuantParams(0.0, 1e-30, 0, 255, false);
  EXPECT_TRUE(p.ok());
  EXPECT_EQ(p.scale, static_cast<float>(1e-30 / 255.0));
  EXPECT_GE(p.scale, FLT_MIN);
  // rmin == rmax != 0 is not degenerate: the range is widened to 0.
  p = chooseQuantParams(2.0, 2.0, 0, 255, false);
  EXPECT_EQ(p.scale, static_cast<float>(2.0 / 255.0));
  EXPECT_EQ(p.zeroPoint, 0);
}

TEST(ChooseQuantParams, RejectsBadInput) {
  const double nan = std::nan(""), inf = HUGE_VAL;
  EXPECT_EQ(chooseQuantParams(nan, 1.0, 0, 255, false).status,
            QuantParamsStatus::NonFiniteRange);
  EXPECT_EQ(chooseQuantParams(-1.0, nan, 0, 255, true).status,
            QuantParamsStatus::NonFiniteRange);
  EXPECT_EQ(chooseQuantParams(-inf, 1.0, 0, 255, false).status,
            QuantParamsStatus::NonFiniteRange);
  EXPECT_EQ(chooseQuantParams(0.0, inf, -128, 127, true).status,
            QuantParamsStatus::NonFiniteRange);
  EXPECT_EQ(chooseQuantParams(1.0, -1.0, 0, 255, false).status,
            QuantParamsStatus::InvertedRange);
  EXPECT_EQ(chooseQuantParams(-1.0, 1.0, 5, 5, false).status,
            QuantParamsStatus::InvalidStorageRange);
  EXPECT_EQ(chooseQuantParams(-1.0, 1.0, 127, -128, false).status,
            QuantParamsStatus::InvalidStorageRange);
  EXPECT_EQ(chooseQuantParams(-1e300, 1e300, 0, 255, false).status,
            QuantParamsStatus::ScaleOverflow);
  QuantParams p = chooseQuantParams(nan, nan, 0, 255, false);
  EXPECT_FALSE(p.ok());
  EXPECT_EQ(p.scale, 1.0f);
  EXPECT_EQ(p.zeroPoint, 0);
}

TEST(ChooseQuantParams, CoversRandomRanges) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 2000; ++i) {
    double a = std::ldexp(double(rng() >> 11), -53) * 20.0 - 10.0;
    double b = std::ldexp(double(rng() >> 11), -53) * 20.0 - 10.0;
    double lo = std::min(a, b), hi = std::max(a, b);
    for (QRange r : {kI8, kU8, kI4, kU4}) {
      QuantParams p = chooseQuantParams(lo, hi, r.qmin, r.qmax, false);
      expectCovers(p, std::min(lo, 0.0), std::max(hi, 0.0), r);
      EXPECT_GE(p.zeroPoint, r.qmin);
      EXPECT_LE(p.zeroPoint, r.qmax);
    }
  }
}

//===----------------------------------------------------------------------===//
// quantizeMultiplier
//===----------------------------------------------------------------------===//

void expectMultiplier(double m, int32_t multiplier, int shift) {
  QuantizedMultiplier qm = quantizeMultiplier(m);
  EXPECT_EQ(qm.multiplier, multiplier) << "m = " << m;
  EXPECT_EQ(qm.shift, shift) << "m = " << m;
}

TEST(QuantizeMultiplier, Zero) { expectMultiplier(0.0, 0, 0); }

TEST(QuantizeMultiplier, ExactPowersAndFractions) {
  expectMultiplier(0.5, kTwo30, 0);
  expectMultiplier(0.75, 3 << 29, 0);
  expectMultiplier(0.25, kTwo30, -1);
  expectMultiplier(1.0, kTwo30, 1);
  expectMultiplier(1.5, 3 << 29, 1);
  expectMultiplier(3.0, 3 << 29, 2);
}

TEST(QuantizeMultiplier, MantissaRoundsHalfToEven) {
  // 0.5 + 2^-32 is 2^30 + 0.5 in Q0.31: ties to the even 2^30.
  expectMultiplier(0.5 + std::ldexp(1.0, -32), kTwo30, 0);
  // 2^30 + 1.5 ties to 2^30 + 2.
  expectMultiplier(0.5 + 3 * std::ldexp(1.0, -32), kTwo30 + 2, 0);
  // Not a tie: 2^30 + 0.75 -> 2^30 + 1.
  expectMultiplier(0.5 + 3 * std::ldexp(1.0, -33), kTwo30 + 1, 0);
}

TEST(QuantizeMultiplier, JustBelowOneRenormalises) {
  // Largest Q0.31 value: no rounding.
  expectMultiplier(1.0 - std::ldexp(1.0, -31), kI32Max, 0);
  // 2^31 - 0.5 ties to the even 2^31, 2^31 - 0.25 rounds up: both overflow
  // the mantissa and become 2^30 with shift 1, i.e. exactly 1.0.
  expectMultiplier(1.0 - std::ldexp(1.0, -32), kTwo30, 1);
  expectMultiplier(1.0 - std::ldexp(1.0, -33), kTwo30, 1);
  expectMultiplier(std::nextafter(1.0, 0.0), kTwo30, 1);
}

TEST(QuantizeMultiplier, Large) {
  expectMultiplier(std::ldexp(1.0, 20), kTwo30, 21);
  expectMultiplier(std::ldexp(1.0, 30), kTwo30, 31);
  // The largest representable value, 2^31 - 1.
  expectMultiplier(2147483647.0, kI32Max, 31);
  // Beyond it the multiplier saturates.
  expectMultiplier(2147483647.5, kI32Max, 31); // would round to 2^31
  expectMultiplier(std::ldexp(1.0, 31), kI32Max, 31);
  expectMultiplier(1e12, kI32Max, 31);
  expectMultiplier(1e300, kI32Max, 31);
  QuantizedMultiplier qm = quantizeMultiplier(1e6);
  EXPECT_EQ(qm.shift, 20);
  EXPECT_EQ(std::ldexp(double(qm.multiplier), qm.shift - 31), 1e6);
}

TEST(QuantizeMultiplier, Tiny) {
  // 2^-32 is the smallest value with a shift in range.
  expectMultiplier(std::ldexp(1.0, -32), kTwo30, -31);
  expectMultiplier(std::ldexp(1.5, -32), 3 << 29, -31);
  // Just below 2^-32 but rounding up to it: renormalisation brings it back.
  expectMultiplier(std::ldexp(1.0 - std::ldexp(1.0, -40), -32), kTwo30, -31);
  // Below 2^-32 every product with an int32 is below 0.5: zero.
  expectMultiplier(std::ldexp(1.0 - std::ldexp(1.0, -20), -32), 0, 0);
  expectMultiplier(std::ldexp(1.0, -33), 0, 0);
  expectMultiplier(1e-10, 0, 0);
  expectMultiplier(5e-324, 0, 0);
  QuantizedMultiplier qm = quantizeMultiplier(1e-9);
  EXPECT_EQ(qm.shift, -29);
}

TEST(QuantizeMultiplier, RandomValuesAreNormalisedAndAccurate) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100000; ++i) {
    int e = static_cast<int>(rng() % 61) - 31; // [-31, 29]
    double m = std::ldexp(1.0 + std::ldexp(double(rng() >> 11), -53), e - 1);
    QuantizedMultiplier qm = quantizeMultiplier(m);
    ASSERT_GE(qm.multiplier, kTwo30) << m;
    ASSERT_GE(qm.shift, kMinShift) << m;
    ASSERT_LE(qm.shift, kMaxShift) << m;
    double back = std::ldexp(double(qm.multiplier), qm.shift - 31);
    // Half a unit in the 31st bit of the mantissa.
    ASSERT_LE(std::fabs(back - m), std::ldexp(1.0, qm.shift - 32)) << m;
  }
}

TEST(GetRequantScale, ComputedInDouble) {
  volatile float a = 0.0123f, b = 0.0456f, c = 0.789f;
  EXPECT_EQ(getRequantScale(a, b, c), double(a) * double(b) / double(c));
  EXPECT_EQ(getRequantScale(0.5f, 0.25f, 2.0f), 0.0625);
}

//===----------------------------------------------------------------------===//
// saturatingRoundingDoublingHighMul
//===----------------------------------------------------------------------===//

TEST(HighMul, Saturation) {
  EXPECT_EQ(saturatingRoundingDoublingHighMul(kI32Min, kI32Min), kI32Max);
  // Every other product fits: -1.0 * (1.0 - 2^-31) = -(2^31 - 1).
  EXPECT_EQ(saturatingRoundingDoublingHighMul(kI32Min, kI32Max), -kI32Max);
  EXPECT_EQ(saturatingRoundingDoublingHighMul(kI32Max, kI32Min), -kI32Max);
  EXPECT_EQ(saturatingRoundingDoublingHighMul(kI32Min, kI32Min + 1), kI32Max);
  // (2^31 - 1)^2 / 2^31 = 2^31 - 2 + 2^-31.
  EXPECT_EQ(saturatingRoundingDoublingHighMul(kI32Max, kI32Max), kI32Max - 1);
}

TEST(HighMul, TiesRoundTowardsPlusInfinity) {
  // a * 2^30 / 2^31 = a / 2.
  EXPECT_EQ(saturatingRoundingDoublingHighMul(1, kTwo30), 1);   // 0.5
  EXPECT_EQ(saturatingRoundingDoublingHighMul(-1, kTwo30), 0);  // -0.5
  EXPECT_EQ(saturatingRoundingDoublingHighMul(3, kTwo30), 2);   // 1.5
  EXPECT_EQ(saturatingRoundingDoublingHighMul(-3, kTwo30), -1); // -1.5
  EXPECT_EQ(saturatingRoundingDoublingHighMul(5, kTwo30), 3);   // 2.5
  EXPECT_EQ(saturatingRoundingDoublingHighMul(-5, kTwo30), -2); // -2.5
  EXPECT_EQ(saturatingRoundingDoublingHighMul(kTwo30, -5), -2);
}

TEST(HighMul, NonTiesRoundToNearest) {
  EXPECT_EQ(saturatingRoundingDoublingHighMul(1, kTwo30 - 1), 0);
  EXPECT_EQ(saturatingRoundingDoublingHighMul(1, kTwo30 + 1), 1);
  EXPECT_EQ(saturatingRoundingDoublingHighMul(-1, kTwo30 - 1), 0);
  EXPECT_EQ(saturatingRoundingDoublingHighMul(-1, kTwo30 + 1), -1);
  EXPECT_EQ(saturatingRoundingDoublingHighMul(0, kI32Min), 0);
  EXPECT_EQ(saturatingRoundingDoublingHighMul(12345, 0), 0);
  EXPECT_EQ(saturatingRoundingDoublingHighMul(1000, 3 << 29), 750);
  EXPECT_EQ(saturatingRoundingDoublingHighMul(-1000, 3 << 29), -750);
}

TEST(HighMul, RandomAgainstRemainderReference) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 200000; ++i) {
    auto a = static_cast<int32_t>(static_cast<uint32_t>(rng()));
    auto b = static_cast<int32_t>(static_cast<uint32_t>(rng()));
    if (i % 4 == 0) // small magnitudes too
      a = static_cast<int32_t>(a / (int64_t(1) << (rng() % 31)));
    if (a == kI32Min && b == kI32Min)
      continue;
    // Truncating quotient and remainder, then round to nearest, ties up.
    int64_t ab = int64_t(a) * b;
    const int64_t d = int64_t(1) << 31;
    int64_t quot = ab / d, rem = ab % d;
    if (rem > 0 && 2 * rem >= d)
      ++quot;
    else if (rem < 0 && -2 * rem > d)
      --quot;
    ASSERT_EQ(saturatingRoundingDoublingHighMul(a, b), quot) << a << " " << b;
  }
}

//===----------------------------------------------------------------------===//
// roundingDivideByPOT
//===----------------------------------------------------------------------===//

TEST(RoundingDivideByPOT, TiesAwayFromZero) {
  EXPECT_EQ(roundingDivideByPOT(1, 1), 1);    // 0.5
  EXPECT_EQ(roundingDivideByPOT(-1, 1), -1);  // -0.5
  EXPECT_EQ(roundingDivideByPOT(3, 1), 2);    // 1.5
  EXPECT_EQ(roundingDivideByPOT(-3, 1), -2);  // -1.5
  EXPECT_EQ(roundingDivideByPOT(5, 1), 3);    // 2.5
  EXPECT_EQ(roundingDivideByPOT(-5, 1), -3);  // -2.5
  EXPECT_EQ(roundingDivideByPOT(6, 2), 2);    // 1.5
  EXPECT_EQ(roundingDivideByPOT(-6, 2), -2);  // -1.5
  EXPECT_EQ(roundingDivideByPOT(10, 2), 3);   // 2.5
  EXPECT_EQ(roundingDivideByPOT(-10, 2), -3); // -2.5
}

TEST(RoundingDivideByPOT, NonTiesAndExtremes) {
  EXPECT_EQ(roundingDivideByPOT(-9, 2), -2);  // -2.25
  EXPECT_EQ(roundingDivideByPOT(-11, 2), -3); // -2.75
  EXPECT_EQ(roundingDivideByPOT(9, 2), 2);
  EXPECT_EQ(roundingDivideByPOT(11, 2), 3);
  EXPECT_EQ(roundingDivideByPOT(12345, 0), 12345);
  EXPECT_EQ(roundingDivideByPOT(-12345, 0), -12345);
  EXPECT_EQ(roundingDivideByPOT(kI32Min, 0), kI32Min);
  EXPECT_EQ(roundingDivideByPOT(kI32Min, 31), -1);
  EXPECT_EQ(roundingDivideByPOT(kI32Max, 31), 1);
  EXPECT_EQ(roundingDivideByPOT(kTwo30, 31), 1);
  EXPECT_EQ(roundingDivideByPOT(-kTwo30, 31), -1);
  EXPECT_EQ(roundingDivideByPOT(kTwo30 - 1, 31), 0);
  EXPECT_EQ(roundingDivideByPOT(-kTwo30 + 1, 31), 0);
  EXPECT_EQ(roundingDivideByPOT(kI32Min, 1), -kTwo30);
  EXPECT_EQ(roundingDivideByPOT(kI32Max, 1), kTwo30);
}

TEST(RoundingDivideByPOT, RandomAgainstStdRound) {
  // std::round rounds half away from zero, and x / 2^e is exact in double.
  std::mt19937_64 rng(13);
  for (int i = 0; i < 200000; ++i) {
    auto x = static_cast<int32_t>(static_cast<uint32_t>(rng()));
    int e = static_cast<int>(rng() % 32);
    auto want = static_cast<int32_t>(std::round(std::ldexp(double(x), -e)));
    ASSERT_EQ(roundingDivideByPOT(x, e), want) << x << " " << e;
  }
}

//===----------------------------------------------------------------------===//
// multiplyByQuantizedMultiplier and requantize
//===----------------------------------------------------------------------===//

TEST(MultiplyByQuantizedMultiplier, DoubleRounding) {
  // m = 0.5, shift 0: only the high-mul rounds (ties up).
  EXPECT_EQ(multiplyByQuantizedMultiplier(3, kTwo30, 0), 2);   // 1.5
  EXPECT_EQ(multiplyByQuantizedMultiplier(-3, kTwo30, 0), -1); // -1.5
  // m = 0.25 as 2^30 * 2^-32: 1 * 0.25 -> high-mul 0.5 -> 1, then 1 / 2
  // -> 0.5 -> 1 (away from zero). The exactly rounded result would be 0.
  EXPECT_EQ(multiplyByQuantizedMultiplier(1, kTwo30, -1), 1);
  // -1 * 0.25 -> high-mul -0.5 -> 0 (ties up), then 0.
  EXPECT_EQ(multiplyByQuantizedMultiplier(-1, kTwo30, -1), 0);
  // 6 * 0.25 = 1.5: high-mul exact (3), 3 / 2 -> 2 (away from zero).
  EXPECT_EQ(multiplyByQuantizedMultiplier(6, kTwo30, -1), 2);
  EXPECT_EQ(multiplyByQuantizedMultiplier(-6, kTwo30, -1), -2);
  // 10 * 0.25 = 2.5 -> 3; -10 * 0.25 -> -3.
  EXPECT_EQ(multiplyByQuantizedMultiplier(10, kTwo30, -1), 3);
  EXPECT_EQ(multiplyByQuantizedMultiplier(-10, kTwo30, -1), -3);
}

TEST(MultiplyByQuantizedMultiplier, PositiveShift) {
  // m = 1: identity.
  for (int32_t x : {0, 1, -1, 127, -128, kI32Max, kI32Min})
    EXPECT_EQ(multiplyByQuantizedMultiplier(x, kTwo30, 1), x);
  // m = 1.5.
  EXPECT_EQ(multiplyByQuantizedMultiplier(3, 3 << 29, 1), 5);   // 4.5 -> up
  EXPECT_EQ(multiplyByQuantizedMultiplier(-3, 3 << 29, 1), -4); // -4.5 -> up
  EXPECT_EQ(multiplyByQuantizedMultiplier(100, 3 << 29, 1), 150);
  // m = 3 * 2^20.
  EXPECT_EQ(multiplyByQuantizedMultiplier(7, 3 << 29, 22), 7 * 3 << 20);
  // x * 2^shift overflows int32 but the result fits: no wrap-around.
  EXPECT_EQ(multiplyByQuantizedMultiplier(kTwo30, kTwo30, 1), kTwo30);
  EXPECT_EQ(multiplyByQuantizedMultiplier(kTwo30, kTwo30, 2), kI32Max);
  EXPECT_EQ(multiplyByQuantizedMultiplier(-kTwo30, kTwo30, 2), kI32Min);
  // Largest multiplier.
  EXPECT_EQ(multiplyByQuantizedMultiplier(1, kI32Max, 31), kI32Max);
  EXPECT_EQ(multiplyByQuantizedMultiplier(-1, kI32Max, 31), -kI32Max);
  EXPECT_EQ(multiplyByQuantizedMultiplier(2, kI32Max, 31), kI32Max);
  EXPECT_EQ(multiplyByQuantizedMultiplier(-2, kI32Max, 31), kI32Min);
  EXPECT_EQ(multiplyByQuantizedMultiplier(kI32Min, kI32Max, 31), kI32Min);
}

TEST(MultiplyByQuantizedMultiplier, PositiveShiftIsShiftThenHighMul) {
  // Where x * 2^shift fits in int32, the definition is TFLite's.
  std::mt19937_64 rng(17);
  for (int i = 0; i < 100000; ++i) {
    int shift = 1 + static_cast<int>(rng() % 31);
    auto multiplier = static_cast<int32_t>(kTwo30 + (rng() % kTwo30));
    int64_t bound = (int64_t(1) << (31 - shift)) - 1;
    int64_t x = static_cast<int64_t>(rng() % (2 * bound + 1)) - bound;
    auto shifted = static_cast<int32_t>(x * (int64_t(1) << shift));
    ASSERT_EQ(multiplyByQuantizedMultiplier(static_cast<int32_t>(x), multiplier,
                                            shift),
              saturatingRoundingDoublingHighMul(shifted, multiplier))
        << x << " " << multiplier << " " << shift;
  }
}

TEST(MultiplyByQuantizedMultiplier, ZeroMultiplier) {
  for (int32_t x : {0, 1, -1, kI32Max, kI32Min}) {
    QuantizedMultiplier qm = quantizeMultiplier(0.0);
    EXPECT_EQ(multiplyByQuantizedMultiplier(x, qm.multiplier, qm.shift), 0);
    qm = quantizeMultiplier(1e-12);
    EXPECT_EQ(multiplyByQuantizedMultiplier(x, qm.multiplier, qm.shift), 0);
  }
}

/// Random int32 with a random magnitude, so small accumulators are as
/// common as large ones.
int32_t randomAcc(std::mt19937_64 &rng) {
  int bits = static_cast<int>(rng() % 32);
  auto v = static_cast<int64_t>(rng() & ((uint64_t(1) << bits) - 1));
  if (bits == 31 && (rng() & 1))
    return kI32Min;
  return static_cast<int32_t>((rng() & 1) ? -v : v);
}

TEST(MultiplyByQuantizedMultiplier, RandomAgainstExactArithmetic) {
  std::mt19937_64 rng(0xC0FFEE);
  int compared = 0;
  for (int i = 0; i < 300000; ++i) {
    // m log-uniform over [2^-32, 2^20), random mantissa.
    int e = static_cast<int>(rng() % 52) - 31;
    double m = std::ldexp(1.0 + std::ldexp(double(rng() >> 11), -53), e - 1);
    int32_t x = randomAcc(rng);
    QuantizedMultiplier qm = quantizeMultiplier(m);
    int32_t got = multiplyByQuantizedMultiplier(x, qm.multiplier, qm.shift);

    // 1. Against the exact product with the multiplier actually used:
    //    x * M / 2^(31 - shift) lies in [lo, lo + 1); the result is lo or
    //    lo + 1, or saturated. This is exact integer arithmetic.
    int64_t num = int64_t(x) * qm.multiplier;
    int denomBits = 31 - qm.shift; // in [0, 62]
    int64_t d = int64_t(1) << denomBits;
    int64_t lo = num / d;
    if (num % d < 0)
      --lo;
    bool exact = num % d == 0;
    if (lo + 1 <= kI32Min) {
      ASSERT_EQ(got, kI32Min);
    } else if (lo >= kI32Max) {
      ASSERT_EQ(got, kI32Max);
    } else {
      ASSERT_TRUE(got == lo || (!exact && got == lo + 1))
          << "x " << x << " m " << m << " got " << got << " floor " << lo;
    }

    // 2. Against x * m in double (error < 2^-24 at these magnitudes): the
    //    two roundings and the 31-bit multiplier stay within 1.
    double real = double(x) * m;
    if (std::fabs(real) <= std::ldexp(1.0, 28)) {
      ASSERT_LE(std::fabs(double(got) - real), 1.0)
          << "x " << x << " m " << m << " got " << got;
      ++compared;
    }
  }
  EXPECT_GT(compared, 200000);
}

TEST(Requantize, ClampsAndAddsZeroPoint) {
  QuantizedMultiplier qm = quantizeMultiplier(0.01);
  // 1000 * 0.01 = 10.
  EXPECT_EQ(requantize(1000, qm.multiplier, qm.shift, 0, -128, 127), 10);
  EXPECT_EQ(requantize(1000, qm.multiplier, qm.shift, -5, -128, 127), 5);
  EXPECT_EQ(requantize(-1000, qm.multiplier, qm.shift, 3, -128, 127), -7);
  // Saturation at both ends for each storage type.
  for (QRange r : {kI8, kU8, kI4, kU4}) {
    int32_t zp = (r.qmin + r.qmax) / 2;
    EXPECT_EQ(requantize(1000000, qm.multiplier, qm.shift, zp, r.qmin, r.qmax),
              r.qmax);
    EXPECT_EQ(requantize(-1000000, qm.multiplier, qm.shift, zp, r.qmin, r.qmax),
              r.qmin);
    EXPECT_EQ(requantize(kI32Max, qm.multiplier, qm.shift, zp, r.qmin, r.qmax),
              r.qmax);
    EXPECT_EQ(requantize(kI32Min, qm.multiplier, qm.shift, zp, r.qmin, r.qmax),
              r.qmin);
    EXPECT_EQ(requantize(0, qm.multiplier, qm.shift, zp, r.qmin, r.qmax), zp);
  }
  // Zero-point extremes.
  EXPECT_EQ(requantize(-25500, qm.multiplier, qm.shift, 255, 0, 255), 0);
  EXPECT_EQ(requantize(-25400, qm.multiplier, qm.shift, 255, 0, 255), 1);
  EXPECT_EQ(requantize(100, qm.multiplier, qm.shift, 255, 0, 255), 255);
  EXPECT_EQ(requantize(25400, qm.multiplier, qm.shift, 0, 0, 255), 254);
  EXPECT_EQ(requantize(25500, qm.multiplier, qm.shift, -128, -128, 127), 127);
  EXPECT_EQ(requantize(-100, qm.multiplier, qm.shift, -128, -128, 127), -128);
  EXPECT_EQ(requantize(-25500, qm.multiplier, qm.shift, 127, -128, 127), -128);
}

TEST(Requantize, ZeroPointIsAddedBeforeSaturating) {
  // acc * 2 = 2^32 - 2 exceeds int32; minus 10 still does: clamp to the
  // output maximum, not INT32_MAX - 10.
  EXPECT_EQ(requantize(kI32Max, kTwo30, 2, -10, kI32Min, kI32Max), kI32Max);
  EXPECT_EQ(requantize(kI32Min, kTwo30, 2, 10, kI32Min, kI32Max), kI32Min);
  // acc * 1 + zp overflows int32 without the 64-bit sum.
  EXPECT_EQ(requantize(kI32Max, kTwo30, 1, 10, kI32Min, kI32Max), kI32Max);
  EXPECT_EQ(requantize(kI32Max, kTwo30, 1, -10, kI32Min, kI32Max),
            kI32Max - 10);
}

TEST(Requantize, Int8DotProductTracksFloatReference) {
  // An int8 x int8 dot product accumulated in int32 and requantized lands
  // within one step of quantizing the real-valued result.
  std::mt19937_64 rng(99);
  const float sa = 0.02f, sb = 0.005f, so = 0.05f;
  const int32_t za = 3, zb = 0, zo = -7;
  QuantizedMultiplier qm = quantizeMultiplier(getRequantScale(sa, sb, so));
  for (int trial = 0; trial < 2000; ++trial) {
    int32_t acc = 0;
    double real = 0.0;
    for (int k = 0; k < 64; ++k) {
      int32_t a = static_cast<int32_t>(rng() % 256) - 128;
      int32_t b = static_cast<int32_t>(rng() % 255) - 127;
      acc += (a - za) * (b - zb);
      real += double(dequantize(a, sa, za)) * double(dequantize(b, sb, zb));
    }
    int32_t got = requantize(acc, qm.multiplier, qm.shift, zo, -128, 127);
    int32_t want = quantize(static_cast<float>(real), so, zo, -128, 127);
    ASSERT_LE(std::abs(got - want), 1) << "acc " << acc;
  }
}

} // namespace
