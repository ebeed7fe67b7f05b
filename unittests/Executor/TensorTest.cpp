//===- TensorTest.cpp - Tensor.h's half and bfloat16 conversions ----------===//
//
// Part of quantc. The bit-level f16/bf16 conversions the kernels and
// Tensor::getAsDouble/setFromDouble use are compared with llvm::APFloat on
// every half and bfloat16 bit pattern, on floats and doubles at and around
// every rounding boundary of both formats, and on random bit patterns.
// Results must be bit-identical, except that for a NaN only its NaN-ness and
// sign are compared: the payload bits may differ from APFloat's.
//
//===----------------------------------------------------------------------===//

#include "ExecutorTestUtil.h"

#include "qc/Executor/Tensor.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/bit.h"

#include <cmath>
#include <limits>
#include <random>
#include <type_traits>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::testing;

namespace {

/// One of the two 16-bit formats, with Tensor.h's conversions for it.
struct Format16 {
  const char *name;
  const llvm::fltSemantics &semantics;
  int mantBits;
  float (*toFloat)(uint16_t);
  uint16_t (*fromFloat)(float);
  uint16_t (*fromDouble)(double);
};

const Format16 kHalf{"f16",       llvm::APFloat::IEEEhalf(),
                     10,          halfToFloat,
                     floatToHalf, doubleToHalf};
const Format16 kBf16{
    "bf16", llvm::APFloat::BFloat(), 7, bf16ToFloat, floatToBf16, doubleToBf16};

/// "0x..." for failure messages. (AssertionResult streams each piece
/// separately, so std::hex would not stick.)
std::string hex(uint64_t v) { return "0x" + llvm::utohexstr(v); }

bool isNaN16(uint16_t bits, int mantBits) {
  uint16_t mantMask = static_cast<uint16_t>((1u << mantBits) - 1);
  uint16_t expMask = static_cast<uint16_t>(0x7fffu & ~mantMask);
  return (bits & expMask) == expMask && (bits & mantMask) != 0;
}

::testing::AssertionResult same16(uint16_t got, uint16_t want,
                                  const Format16 &fmt) {
  if (got == want)
    return ::testing::AssertionSuccess();
  if (isNaN16(got, fmt.mantBits) && isNaN16(want, fmt.mantBits) &&
      (got & 0x8000) == (want & 0x8000))
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << fmt.name << " got " << hex(got) << ", want " << hex(want);
}

::testing::AssertionResult sameFloat(float got, float want) {
  if (llvm::bit_cast<uint32_t>(got) == llvm::bit_cast<uint32_t>(want))
    return ::testing::AssertionSuccess();
  if (std::isnan(got) && std::isnan(want) &&
      std::signbit(got) == std::signbit(want))
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "got " << hex(llvm::bit_cast<uint32_t>(got)) << ", want "
         << hex(llvm::bit_cast<uint32_t>(want));
}

/// Every finite value of `fmt`, the midpoint between each pair of adjacent
/// ones, and the neighbours of that midpoint in double and in float: the
/// double neighbours round to float onto the midpoint itself, so they catch
/// a conversion that rounds twice.
std::vector<double> boundaryValues(const Format16 &fmt) {
  std::vector<double> values;
  for (uint32_t sign : {0u, 0x8000u}) {
    double prev = 0;
    for (uint32_t bits = 0;; ++bits) {
      uint16_t h = static_cast<uint16_t>(sign | bits);
      double a = fmt.toFloat(h);
      double b = fmt.toFloat(static_cast<uint16_t>(h + 1));
      values.push_back(a);
      // Past the largest finite value the next step would be 2^(emax + 1),
      // one ulp further; its tie rounds to infinity.
      bool last = std::isinf(b);
      if (last)
        b = a + (a - prev);
      prev = a;
      // Exact: both formats have fewer significand bits than float, so the
      // midpoint of two neighbours is a float.
      double mid = (a + b) / 2;
      float midF = static_cast<float>(mid);
      values.insert(values.end(), {mid, std::nextafter(mid, INFINITY),
                                   std::nextafter(mid, -INFINITY),
                                   std::nextafter(midF, INFINITY),
                                   std::nextafter(midF, -INFINITY)});
      if (last)
        break;
    }
  }
  return values;
}

/// Special values of any format: zeros, infinities, NaNs with assorted
/// payloads, the extremes of float and double.
std::vector<double> specialDoubles() {
  std::vector<double> values = {0.0,
                                -0.0,
                                INFINITY,
                                -INFINITY,
                                std::numeric_limits<double>::max(),
                                std::numeric_limits<double>::min(),
                                std::numeric_limits<double>::denorm_min(),
                                std::numeric_limits<float>::max(),
                                std::numeric_limits<float>::min(),
                                std::numeric_limits<float>::denorm_min(),
                                65504.0,
                                65519.99,
                                65520.0,
                                0x1p-25,
                                0x1p-25 + 0x1p-60,
                                -0x1p-25 - 0x1p-60,
                                0x1p-24 * 1.5};
  for (uint64_t payload :
       {uint64_t(1), uint64_t(0x3ff), uint64_t(1) << 29, uint64_t(1) << 42,
        uint64_t(1) << 51, (uint64_t(1) << 51) | 1})
    for (uint64_t sign : {uint64_t(0), uint64_t(1) << 63})
      values.push_back(
          llvm::bit_cast<double>(sign | 0x7ff0000000000000ull | payload));
  return values;
}

/// Expects every value (float or double) to narrow to half and to bfloat16
/// as APFloat rounds it; stops at the first mismatch.
template <typename Float>
void expectNarrowLikeAPFloat(const std::vector<Float> &values) {
  using Bits = std::conditional_t<sizeof(Float) == 4, uint32_t, uint64_t>;
  for (Float v : values) {
    llvm::APFloat ap(v);
    for (const Format16 *fmt : {&kHalf, &kBf16}) {
      uint16_t got;
      if constexpr (std::is_same_v<Float, float>)
        got = fmt->fromFloat(v);
      else
        got = fmt->fromDouble(v);
      ASSERT_TRUE(same16(got, apfloatTo16(ap, fmt->semantics), *fmt))
          << "from " << hex(llvm::bit_cast<Bits>(v));
    }
  }
}

TEST(HalfConversion, EveryHalfAndBf16WidensLikeAPFloat) {
  for (const Format16 *fmt : {&kHalf, &kBf16})
    for (uint32_t bits = 0; bits < 0x10000; ++bits) {
      uint16_t h = static_cast<uint16_t>(bits);
      ASSERT_TRUE(sameFloat(fmt->toFloat(h), apfloatFrom16(h, fmt->semantics)))
          << fmt->name << " " << hex(bits);
    }
}

TEST(HalfConversion, EveryHalfAndBf16RoundTrips) {
  for (const Format16 *fmt : {&kHalf, &kBf16})
    for (uint32_t bits = 0; bits < 0x10000; ++bits) {
      uint16_t h = static_cast<uint16_t>(bits);
      float f = fmt->toFloat(h);
      ASSERT_TRUE(same16(fmt->fromFloat(f), h, *fmt)) << "from float";
      ASSERT_TRUE(same16(fmt->fromDouble(f), h, *fmt)) << "from double";
    }
}

TEST(HalfConversion, FloatsNarrowLikeAPFloat) {
  std::vector<float> floats;
  for (const Format16 *fmt : {&kHalf, &kBf16})
    for (double d : boundaryValues(*fmt))
      floats.push_back(static_cast<float>(d));
  for (double d : specialDoubles())
    floats.push_back(static_cast<float>(d));
  // Overflow, subnormal and tie cases spelled out as bits.
  for (uint32_t bits :
       {0x477fe000u, 0x477ff000u, 0x477fefffu, 0x38800000u, 0x387fffffu,
        0x33000000u, 0x33000001u, 0x32ffffffu, 0x7f7fffffu, 0x7f7f8000u,
        0x7f7f7fffu, 0x00000001u, 0x00008000u, 0x00018000u, 0x3f801000u,
        0x3f803000u, 0x3f808000u, 0x3f818000u})
    floats.push_back(llvm::bit_cast<float>(bits));
  for (uint32_t payload : {1u, 0x1fffu, 0x2000u, 0x3fffffu, 0x400000u})
    for (uint32_t sign : {0u, 0x80000000u})
      floats.push_back(llvm::bit_cast<float>(sign | 0x7f800000u | payload));
  std::mt19937 gen(4);
  for (int i = 0; i < 1000000; ++i)
    floats.push_back(llvm::bit_cast<float>(static_cast<uint32_t>(gen())));

  expectNarrowLikeAPFloat(floats);
}

TEST(HalfConversion, DoublesNarrowLikeAPFloat) {
  std::vector<double> doubles = specialDoubles();
  for (const Format16 *fmt : {&kHalf, &kBf16}) {
    std::vector<double> b = boundaryValues(*fmt);
    doubles.insert(doubles.end(), b.begin(), b.end());
  }
  std::mt19937_64 gen(5);
  for (int i = 0; i < 300000; ++i)
    doubles.push_back(llvm::bit_cast<double>(static_cast<uint64_t>(gen())));
  // Random bits with the exponent inside the range that matters for each
  // format (its subnormals up to past its largest value).
  for (auto [lo, hi] : {std::pair<uint64_t, uint64_t>{1023 - 26, 1023 + 17},
                        std::pair<uint64_t, uint64_t>{1023 - 135, 1023 + 129}})
    for (int i = 0; i < 300000; ++i) {
      uint64_t bits = gen();
      uint64_t exp = lo + bits % (hi - lo + 1);
      bits = (bits & ~(uint64_t(0x7ff) << 52)) | (exp << 52);
      doubles.push_back(llvm::bit_cast<double>(bits));
    }

  expectNarrowLikeAPFloat(doubles);
}

TEST(HalfConversion, SetFromDoubleRoundsOnce) {
  struct Case {
    DType dtype;
    double value;
    uint16_t viaFloat; // what double -> float -> 16 bits would give
    uint16_t want;
  };
  const Case cases[] = {
      // Just above the tie between the halves 1 and 1 + 2^-10: float
      // rounds onto the tie, which then goes to even (down).
      {DType::F16, 1.0 + 0x1p-11 + 0x1p-40, 0x3c00, 0x3c01},
      // Just below the tie between 1 + 2^-10 and 1 + 2^-9: float rounds
      // onto the tie, which then goes to even (up).
      {DType::F16, 1.0 + 3 * 0x1p-11 - 0x1p-40, 0x3c02, 0x3c01},
      // Just above half the smallest half subnormal.
      {DType::F16, 0x1p-25 + 0x1p-60, 0x0000, 0x0001},
      {DType::BF16, 1.0 + 0x1p-8 + 0x1p-40, 0x3f80, 0x3f81},
      {DType::BF16, 1.0 + 3 * 0x1p-8 - 0x1p-40, 0x3f82, 0x3f81},
  };
  for (const Case &c : cases) {
    const Format16 &fmt = c.dtype == DType::F16 ? kHalf : kBf16;
    // The value must really expose double rounding.
    ASSERT_EQ(fmt.fromFloat(static_cast<float>(c.value)), c.viaFloat);
    ASSERT_EQ(apfloatTo16(llvm::APFloat(c.value), fmt.semantics), c.want);
    Tensor t(c.dtype, {1});
    t.setFromDouble(0, c.value);
    EXPECT_EQ(t.data<uint16_t>()[0], c.want)
        << fmt.name << " " << hex(llvm::bit_cast<uint64_t>(c.value));
    EXPECT_EQ(t.getAsDouble(0), fmt.toFloat(c.want));
  }
}

} // namespace
