//===- Numerics.h - the quantization arithmetic, defined once ---*- C++ -*-===//
//
// Part of quantc. See docs/Numerics.md.
//
// The numeric rules of the compiler: rounding, quantize / dequantize, the
// choice of scale and zero point, and the integer-only requantization of
// int32 accumulators with a fixed-point multiplier. The reference executor,
// the CPU code generator and the Metal emitter all implement exactly these
// functions; docs/Numerics.md is the prose version of this contract, and a
// change here is a change of the contract.
//
// Plain C++17 on purpose: no MLIR types, so the rules can be read, tested and
// reused (for instance by a runtime) without the compiler.
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_UTILS_NUMERICS_H
#define QC_DIALECT_QC_UTILS_NUMERICS_H

#include <cstdint>

namespace mlir::qc::numerics {

//===----------------------------------------------------------------------===//
// Rounding
//===----------------------------------------------------------------------===//

/// Rounds to the nearest integer, ties to even (ONNX QuantizeLinear), in the
/// type of the argument. Built from operations that are exact or defined
/// independently of the floating-point environment, so the result does not
/// depend on the current rounding mode. NaN and +-inf are returned unchanged;
/// the sign of zero is kept (-0.4 -> -0.0).
double roundHalfToEven(double x);
float roundHalfToEven(float x);

//===----------------------------------------------------------------------===//
// Storage ranges
//===----------------------------------------------------------------------===//

/// The closed integer range [qmin, qmax] a storage type may hold.
struct QRange {
  int32_t qmin;
  int32_t qmax;
};

/// The range of a `bitWidth`-bit integer: [-2^(b-1), 2^(b-1) - 1] when signed,
/// [0, 2^b - 1] otherwise. `narrowRange` drops the most negative signed value
/// (i8 -> [-127, 127]) so that symmetric quantization is exactly symmetric.
/// Requires 1 <= bitWidth <= 32 (signed) or <= 31 (unsigned: qmax must fit in
/// int32).
QRange getStorageRange(unsigned bitWidth, bool isSigned,
                       bool narrowRange = false);

//===----------------------------------------------------------------------===//
// Quantize / dequantize
//===----------------------------------------------------------------------===//

/// ONNX QuantizeLinear for one value:
///   q = clamp(roundHalfToEven(x / scale) + zeroPoint, qmin, qmax)
/// with `x / scale` a single-precision division (as ONNX Runtime computes it;
/// not a multiplication by 1/scale, which rounds differently), the rounding in
/// single precision, and the zero-point addition and clamp done exactly.
/// +-inf (also from an overflowing division) saturates to qmax / qmin.
/// NaN quantizes to `zeroPoint` (clamped into [qmin, qmax]), i.e. to the code
/// of real 0; see docs/Numerics.md for why.
/// Requires scale > 0 and finite, qmin <= qmax. The division is the only
/// rounding-mode-dependent step; quantc assumes the default round-to-nearest
/// environment, as ONNX Runtime does.
int32_t quantize(float x, float scale, int32_t zeroPoint, int32_t qmin,
                 int32_t qmax);

/// ONNX DequantizeLinear for one value: (q - zeroPoint) * scale, with the
/// subtraction exact, converted to float (exact for |q - zp| <= 2^24, i.e.
/// every storage type narrower than 25 bits), and one float multiplication.
float dequantize(int32_t q, float scale, int32_t zeroPoint);

//===----------------------------------------------------------------------===//
// Choosing scale and zero point
//===----------------------------------------------------------------------===//

enum class QuantParamsStatus {
  Ok,
  /// rmin or rmax is NaN or infinite.
  NonFiniteRange,
  /// rmin > rmax.
  InvertedRange,
  /// qmin >= qmax: no room for more than one value.
  InvalidStorageRange,
  /// The scale does not fit in a float (only with absurdly large ranges).
  ScaleOverflow,
};

/// Scale and zero point of a uniform quantization; `status` says whether the
/// other fields are meaningful (when not Ok they hold scale 1, zero point 0).
struct QuantParams {
  float scale = 1.0f;
  int32_t zeroPoint = 0;
  QuantParamsStatus status = QuantParamsStatus::Ok;

  bool ok() const { return status == QuantParamsStatus::Ok; }
};

/// Chooses scale and zero point for real values in [rmin, rmax] stored in
/// [qmin, qmax]. In double precision:
///   rmin' = min(rmin, 0), rmax' = max(rmax, 0)    (0 must be exact)
///   asymmetric: scale = (rmax' - rmin') / (qmax - qmin)
///   symmetric:  scale = max(-rmin', rmax') / ((qmax - qmin) / 2)
/// then the scale is rounded to float (the type quantize() uses) and, with
/// that float scale,
///   asymmetric: zp = clamp(roundHalfToEven(qmin - rmin' / scale), qmin, qmax)
///   symmetric:  zp = roundHalfToEven((qmin + qmax) / 2)
///               (0 for [-128, 127], [-127, 127], [-8, 7]; 128 for [0, 255])
/// Degenerate ranges, where the double scale is below FLT_MIN (the smallest
/// normal float; this includes rmin == rmax == 0): scale = 1.0 and
/// zp = the symmetric midpoint when symmetric, else clamp(0, qmin, qmax).
QuantParams chooseQuantParams(double rmin, double rmax, int32_t qmin,
                              int32_t qmax, bool symmetric);

//===----------------------------------------------------------------------===//
// Fixed-point requantization
//===----------------------------------------------------------------------===//

/// Smallest and largest shift a quantized multiplier may carry.
constexpr int kMinShift = -31;
constexpr int kMaxShift = 31;

/// A non-negative real multiplier m represented as
///   m ~= multiplier * 2^(shift - 31)
/// with multiplier in [2^30, 2^31) (a Q0.31 value in [0.5, 1)) unless m
/// rounds to 0, in which case multiplier == 0 and shift == 0.
struct QuantizedMultiplier {
  int32_t multiplier = 0;
  int shift = 0;
};

/// Splits m >= 0 into a Q0.31 multiplier and a power-of-two shift. The
/// mantissa is rounded to 31 fractional bits half to even; when it rounds up
/// to 2^31 it is renormalised to 2^30 with shift + 1. The shift is limited to
/// [kMinShift, kMaxShift]:
///  - m < 2^-32 (the shift would be below -31) yields {0, 0}: for every int32
///    x, |x * m| < 0.5, so 0 is also the correctly rounded result;
///  - m whose shift would exceed 31 (m >= 2^31 - 1/2) is clamped to
///    {INT32_MAX, 31}, i.e. m = 2^31 - 1; every x with |x| >= 2 saturates
///    with either value, so only x = +-1 can tell them apart.
/// Requires m finite and >= 0 (asserted; treated as 0 in release builds).
QuantizedMultiplier quantizeMultiplier(double m);

/// The real multiplier of an int8 x int8 -> int8 product, computed in
/// double: (lhsScale * rhsScale) / outScale. The product of two floats is
/// exact in double, so only the division rounds. Use this, not a float
/// computation, so every backend derives the same fixed-point multiplier.
double getRequantScale(float lhsScale, float rhsScale, float outScale);

/// gemmlowp's SaturatingRoundingDoublingHighMul: the high 32 bits of 2*a*b,
/// i.e. a*b / 2^31 rounded to nearest with ties towards +infinity (0.5 -> 1,
/// -0.5 -> 0, -1.5 -> -1), the rounding of ARM's SQRDMULH. The only
/// overflowing input, INT32_MIN * INT32_MIN (= +1.0 in Q0.31), saturates to
/// INT32_MAX.
int32_t saturatingRoundingDoublingHighMul(int32_t a, int32_t b);

/// x / 2^exponent rounded to nearest, ties away from zero (2.5 -> 3,
/// -2.5 -> -3). Requires 0 <= exponent <= 31.
int32_t roundingDivideByPOT(int32_t x, int exponent);

/// x * multiplier * 2^(shift - 31), rounded as TensorFlow Lite's reference
/// MultiplyByQuantizedMultiplier does:
///   shift <= 0: roundingDivideByPOT(saturatingRoundingDoublingHighMul(
///                   x, multiplier), -shift)
///               (two roundings: ties up, then ties away from zero);
///   shift > 0:  saturatingRoundingDoublingHighMul(x * 2^shift, multiplier)
///               when x * 2^shift fits in int32 (one rounding, ties up).
/// Where TFLite's left shift would overflow, the exact value
/// round_ties_up(x * multiplier / 2^(31 - shift)) is used instead, and the
/// result saturates to int32.
/// Requires 0 <= multiplier, kMinShift <= shift <= kMaxShift.
int32_t multiplyByQuantizedMultiplier(int32_t x, int32_t multiplier, int shift);

/// Requantizes an int32 accumulator to an output of range [qmin, qmax]:
///   clamp(outZeroPoint + multiplyByQuantizedMultiplier(acc, multiplier,
///                                                      shift), qmin, qmax)
/// with the addition and clamp done exactly (in 64 bits, on the unsaturated
/// product), so no intermediate overflows.
int32_t requantize(int32_t acc, int32_t multiplier, int shift,
                   int32_t outZeroPoint, int32_t qmin, int32_t qmax);

} // namespace mlir::qc::numerics

#endif // QC_DIALECT_QC_UTILS_NUMERICS_H
