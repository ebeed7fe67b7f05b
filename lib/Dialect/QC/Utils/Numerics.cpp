//===- Numerics.cpp - the quantization arithmetic -------------------------===//
//
// Part of quantc. The contract is docs/Numerics.md; every backend must
// produce bit-identical results to these functions.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/Utils/Numerics.h"

#include <algorithm>
#include <cassert>
#include <cfloat>
#include <cmath>
#include <limits>

using namespace mlir::qc::numerics;

namespace {

constexpr int64_t kInt32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

int32_t saturateToInt32(int64_t v) {
  return static_cast<int32_t>(std::clamp(v, kInt32Min, kInt32Max));
}

/// floor(v / 2^n). Spelled with division rather than `v >> n` because the
/// right shift of a negative value is implementation-defined before C++20.
int64_t floorDivPow2(int64_t v, int n) {
  int64_t d = int64_t(1) << n;
  int64_t q = v / d;
  return v % d < 0 ? q - 1 : q;
}

/// Round half to even without relying on the rounding mode: trunc, round,
/// fmod, fabs and copysign are exact or specified independently of it, and
/// the two arithmetic operations below are exact (see the comments), so no
/// step can be affected by a non-default rounding direction. nearbyint()
/// would be simpler but follows the current mode.
template <typename T> T roundTiesToEven(T x) {
  if (!std::isfinite(x))
    return x;
  T t = std::trunc(x);
  // Exact: for |x| < 1, t == 0; for |x| >= 1, t and x are within a factor of
  // two of each other (Sterbenz); beyond 2^(digits-1) x is an integer.
  T frac = x - t;
  if (std::fabs(frac) != T(0.5))
    return std::round(x);
  // A tie between t and t +- 1: keep the even one. |t| is far below
  // 2^digits here, so adding one is exact.
  return std::fmod(t, T(2)) == T(0) ? t : t + std::copysign(T(1), x);
}

/// x * multiplier * 2^(shift - 31) with the rounding of
/// multiplyByQuantizedMultiplier but without its final saturation, so that
/// requantize() can add the zero point and clamp exactly.
int64_t scaleByQuantizedMultiplier(int32_t x, int32_t multiplier, int shift) {
  assert(multiplier >= 0 && "quantized multiplier must be non-negative");
  assert(shift >= kMinShift && shift <= kMaxShift && "shift out of range");
  if (shift <= 0)
    return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x, multiplier),
                               -shift);
  // TFLite computes highMul(x << shift, multiplier), i.e.
  // floor((x * 2^shift * multiplier + 2^30) / 2^31). Dividing numerator and
  // denominator by 2^shift gives the same value without forming x << shift,
  // which may overflow int32; |x * multiplier| < 2^62 fits in int64.
  int64_t prod = int64_t(x) * multiplier;
  if (shift == 31)
    return prod;
  return floorDivPow2(prod + (int64_t(1) << (30 - shift)), 31 - shift);
}

} // namespace

double mlir::qc::numerics::roundHalfToEven(double x) {
  return roundTiesToEven(x);
}

float mlir::qc::numerics::roundHalfToEven(float x) {
  return roundTiesToEven(x);
}

QRange mlir::qc::numerics::getStorageRange(unsigned bitWidth, bool isSigned,
                                           bool narrowRange) {
  assert(bitWidth >= 1 && bitWidth <= (isSigned ? 32u : 31u) &&
         "storage range must fit in int32");
  int64_t lo = isSigned ? -(int64_t(1) << (bitWidth - 1)) : 0;
  int64_t hi = isSigned ? (int64_t(1) << (bitWidth - 1)) - 1
                        : (int64_t(1) << bitWidth) - 1;
  if (narrowRange)
    ++lo;
  return {static_cast<int32_t>(lo), static_cast<int32_t>(hi)};
}

int32_t mlir::qc::numerics::quantize(float x, float scale, int32_t zeroPoint,
                                     int32_t qmin, int32_t qmax) {
  assert(scale > 0.0f && std::isfinite(scale) && "scale must be positive");
  assert(qmin <= qmax && "empty storage range");
  // NaN has no nearest integer. Mapping it to the code of real 0 keeps it
  // from biasing anything downstream, is the same for every backend, and
  // does not depend on the sign bit of the NaN.
  if (std::isnan(x))
    return std::clamp(zeroPoint, qmin, qmax);
  // Single precision, as ONNX Runtime's QuantizeLinear kernels compute it.
  float scaled = x / scale;
  double r = roundHalfToEven(scaled);
  // Clamp before adding the zero point: both bounds are exact in double, +-inf
  // saturates here, and the integer conversion below cannot overflow.
  double lo = double(qmin) - double(zeroPoint);
  double hi = double(qmax) - double(zeroPoint);
  r = std::clamp(r, lo, hi);
  return static_cast<int32_t>(static_cast<int64_t>(r) + zeroPoint);
}

float mlir::qc::numerics::dequantize(int32_t q, float scale,
                                     int32_t zeroPoint) {
  // The subtraction is exact in 64 bits; only the conversion of differences
  // beyond 2^24 (32-bit storage) and the product round.
  return static_cast<float>(int64_t(q) - int64_t(zeroPoint)) * scale;
}

QuantParams mlir::qc::numerics::chooseQuantParams(double rmin, double rmax,
                                                  int32_t qmin, int32_t qmax,
                                                  bool symmetric) {
  QuantParams p;
  if (!std::isfinite(rmin) || !std::isfinite(rmax)) {
    p.status = QuantParamsStatus::NonFiniteRange;
    return p;
  }
  if (rmin > rmax) {
    p.status = QuantParamsStatus::InvertedRange;
    return p;
  }
  if (qmin >= qmax) {
    p.status = QuantParamsStatus::InvalidStorageRange;
    return p;
  }
  // Real 0 must be exactly representable: zero padding, ReLU outputs and
  // masked elements would otherwise all pick up an error.
  rmin = std::min(rmin, 0.0);
  rmax = std::max(rmax, 0.0);

  double levels = double(qmax) - double(qmin);
  auto midpoint = static_cast<int32_t>(
      roundHalfToEven((double(qmin) + double(qmax)) / 2.0));
  double scale = symmetric ? std::max(-rmin, rmax) / (levels / 2.0)
                           : (rmax - rmin) / levels;

  // A scale that is not a normal float may be flushed to zero by GPUs
  // (Metal may flush denormals), and x / 0 is inf; such a range is all zeros
  // for every practical purpose.
  if (!(scale >= double(FLT_MIN))) {
    p.scale = 1.0f;
    p.zeroPoint = symmetric ? midpoint : std::clamp<int32_t>(0, qmin, qmax);
    return p;
  }
  if (scale > double(FLT_MAX)) {
    p.status = QuantParamsStatus::ScaleOverflow;
    return p;
  }
  p.scale = static_cast<float>(scale);
  if (symmetric) {
    p.zeroPoint = midpoint;
    return p;
  }
  // Derive the zero point from the float scale actually used by quantize(),
  // not from the exact one, so that rmin' maps as closely as possible to qmin.
  double zp = double(qmin) - rmin / double(p.scale);
  zp = std::clamp(roundHalfToEven(zp), double(qmin), double(qmax));
  p.zeroPoint = static_cast<int32_t>(zp);
  return p;
}

QuantizedMultiplier mlir::qc::numerics::quantizeMultiplier(double m) {
  assert(std::isfinite(m) && m >= 0.0 && "multiplier must be finite and >= 0");
  if (!(m > 0.0) || !std::isfinite(m))
    return {};
  int exponent = 0;
  double mantissa = std::frexp(m, &exponent); // m = mantissa * 2^exponent
  // Scaling by a power of two is exact; the only rounding is to an integer.
  auto q = static_cast<int64_t>(roundHalfToEven(std::ldexp(mantissa, 31)));
  if (q == (int64_t(1) << 31)) {
    // The mantissa rounded up to 1.0: renormalise to 0.5 * 2^(exponent + 1).
    q >>= 1;
    ++exponent;
  }
  if (exponent < kMinShift)
    return {};
  if (exponent > kMaxShift)
    return {static_cast<int32_t>(kInt32Max), kMaxShift};
  return {static_cast<int32_t>(q), exponent};
}

double mlir::qc::numerics::getRequantScale(float lhsScale, float rhsScale,
                                           float outScale) {
  assert(outScale > 0.0f && "output scale must be positive");
  return double(lhsScale) * double(rhsScale) / double(outScale);
}

int32_t mlir::qc::numerics::saturatingRoundingDoublingHighMul(int32_t a,
                                                              int32_t b) {
  // (-1.0) * (-1.0) in Q0.31 is +1.0, which is not representable.
  if (a == kInt32Min && b == kInt32Min)
    return static_cast<int32_t>(kInt32Max);
  int64_t ab = int64_t(a) * int64_t(b);
  // Nearest, ties towards +inf: floor(ab / 2^31 + 1/2). This is what
  // gemmlowp's nudged truncating division and ARM's SQRDMULH compute.
  return static_cast<int32_t>(floorDivPow2(ab + (int64_t(1) << 30), 31));
}

int32_t mlir::qc::numerics::roundingDivideByPOT(int32_t x, int exponent) {
  assert(exponent >= 0 && exponent <= 31 && "exponent out of range");
  if (exponent == 0)
    return x;
  // Round the magnitude half up, which is half away from zero for x.
  int64_t magnitude = x < 0 ? -int64_t(x) : int64_t(x);
  int64_t r = (magnitude + (int64_t(1) << (exponent - 1))) >> exponent;
  return static_cast<int32_t>(x < 0 ? -r : r);
}

int32_t mlir::qc::numerics::multiplyByQuantizedMultiplier(int32_t x,
                                                          int32_t multiplier,
                                                          int shift) {
  return saturateToInt32(scaleByQuantizedMultiplier(x, multiplier, shift));
}

int32_t mlir::qc::numerics::requantize(int32_t acc, int32_t multiplier,
                                       int shift, int32_t outZeroPoint,
                                       int32_t qmin, int32_t qmax) {
  assert(qmin <= qmax && "empty output range");
  // The scaled value is below 2^62 in magnitude, so adding the zero point
  // cannot overflow.
  int64_t v = scaleByQuantizedMultiplier(acc, multiplier, shift) + outZeroPoint;
  return static_cast<int32_t>(std::clamp<int64_t>(v, qmin, qmax));
}
