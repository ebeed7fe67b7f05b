//===- Tensor.h - host tensors for the executor and the tools ---*- C++ -*-===//
//
// Part of quantc. A dense, row-major, 64-byte aligned host tensor with
// shared storage (copies are cheap and alias; use clone() for a deep copy).
// Quantized tensors are held as their storage integers; the scales live in
// the MLIR types of the program that produced them.
//
//===----------------------------------------------------------------------===//

#ifndef QC_EXECUTOR_TENSOR_H
#define QC_EXECUTOR_TENSOR_H

#include "mlir/IR/Types.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/bit.h"

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

namespace mlir::qc {

/// Element types a host tensor can hold. Booleans are one byte (0 or 1);
/// sub-byte integers (i4, u4, ...) are held one per byte, sign- or
/// zero-extended.
enum class DType : uint8_t {
  F32,
  F16,
  BF16,
  F64,
  Bool,
  I8,
  U8,
  I16,
  U16,
  I32,
  U32,
  I64,
  U64,
};

/// Bytes per element.
size_t dtypeSize(DType t);
/// "f32", "i8", "bool", ...
llvm::StringRef dtypeName(DType t);
bool isFloatDType(DType t);

/// The host dtype for an MLIR element type: floats map directly, signless
/// integers are signed except i1 (Bool), unsigned integers are unsigned, and
/// a quantized type maps to its storage integer (signed or not, widened to
/// at least 8 bits). nullopt for anything else.
std::optional<DType> dtypeFromType(Type elementType);

class Tensor {
public:
  Tensor() = default;
  /// Zero-filled tensor.
  Tensor(DType dtype, llvm::ArrayRef<int64_t> shape);
  /// Copies `numElements * dtypeSize` bytes from `data`.
  static Tensor fromBytes(DType dtype, llvm::ArrayRef<int64_t> shape,
                          const void *data);
  /// A tensor viewing memory owned by `owner` (kept alive by the tensor).
  static Tensor view(DType dtype, llvm::ArrayRef<int64_t> shape,
                     std::shared_ptr<const void> owner, const void *data);

  bool isNull() const { return !storage; }
  DType dtype() const { return type; }
  llvm::ArrayRef<int64_t> shape() const { return dims; }
  int64_t rank() const { return dims.size(); }
  int64_t numElements() const;
  size_t byteSize() const { return numElements() * dtypeSize(type); }

  void *raw() { return ptr; }
  const void *raw() const { return ptr; }
  template <typename T> T *data() { return static_cast<T *>(ptr); }
  template <typename T> const T *data() const {
    return static_cast<const T *>(ptr);
  }

  /// Same storage, another shape with the same element count.
  Tensor reshaped(llvm::ArrayRef<int64_t> newShape) const;
  /// A deep copy with its own storage.
  Tensor clone() const;

  /// Element `i` (row-major) converted to double, whatever the dtype.
  double getAsDouble(int64_t i) const;
  /// Sets element `i` from a double: floats round to nearest even (once,
  /// from the double), integers truncate toward zero after the caller has
  /// rounded/saturated.
  void setFromDouble(int64_t i, double v);

  /// "f32[1x3x28x28]".
  std::string describe() const;

private:
  DType type = DType::F32;
  llvm::SmallVector<int64_t, 4> dims;
  std::shared_ptr<const void> storage;
  void *ptr = nullptr;
};

//===----------------------------------------------------------------------===//
// IEEE half and bfloat16
//===----------------------------------------------------------------------===//

// Bit-level conversions, inline because the kernels convert whole f16/bf16
// tensors element by element. Narrowing rounds to nearest even, once, from
// the source value (so double -> half is not double -> float -> half, which
// can round twice). Every non-NaN result equals llvm::APFloat's; a NaN stays
// a NaN of the same sign, quiet when narrowed, but its payload bits may
// differ from APFloat's (widening keeps a signaling NaN signaling).

namespace detail {

/// Rounds `value` (float or double) to nearest even in the 16-bit IEEE
/// format with DstMant mantissa and DstExp exponent bits; returns its
/// encoding.
template <int DstMant, int DstExp, typename Float>
inline uint16_t narrowTo16(Float value) {
  static_assert(1 + DstExp + DstMant == 16, "not a 16-bit format");
  using UInt = std::conditional_t<sizeof(Float) == 4, uint32_t, uint64_t>;
  static_assert(sizeof(UInt) == sizeof(Float), "float or double only");
  constexpr int kSrcMant = std::numeric_limits<Float>::digits - 1;
  constexpr int kSrcExp = 8 * sizeof(Float) - 1 - kSrcMant;
  constexpr int kDrop = kSrcMant - DstMant;
  constexpr int kSrcBias = (1 << (kSrcExp - 1)) - 1;
  constexpr int kDstBias = (1 << (DstExp - 1)) - 1;
  constexpr int kSignShift = kSrcMant + kSrcExp - 15;
  constexpr UInt kAbsMask = (UInt(1) << (kSrcMant + kSrcExp)) - 1;
  constexpr UInt kSrcMantMask = (UInt(1) << kSrcMant) - 1;
  constexpr UInt kSrcInf = UInt((1 << kSrcExp) - 1) << kSrcMant;
  constexpr UInt kRebias = UInt(kSrcBias - kDstBias) << kSrcMant;
  constexpr UInt kDstMinNormal = kRebias + (UInt(1) << kSrcMant);
  constexpr uint32_t kDstInf = ((1u << DstExp) - 1) << DstMant;
  constexpr uint32_t kDstQuiet = 1u << (DstMant - 1);

  UInt x = llvm::bit_cast<UInt>(value);
  uint32_t sign = static_cast<uint32_t>(x >> kSignShift) & 0x8000u;
  UInt ax = x & kAbsMask;
  if (ax > kSrcInf)
    return static_cast<uint16_t>(
        sign | kDstInf | kDstQuiet |
        (static_cast<uint32_t>(ax >> kDrop) & (kDstQuiet - 1)));
  // Round off the dropped bits, half to even: adding just under half a unit
  // plus the kept lowest bit carries exactly when rounding goes up. A carry
  // out of the mantissa bumps the exponent, and one out of the largest finite
  // value gives exactly the infinity encoding.
  constexpr UInt kBelowHalf = (UInt(1) << (kDrop - 1)) - 1;
  if constexpr (kRebias == 0) {
    // Same exponent range (f32 -> bf16): that rounding of the whole encoding
    // is the conversion, subnormals included, and the sign rides along.
    return static_cast<uint16_t>((x + kBelowHalf + ((x >> kDrop) & 1)) >>
                                 kDrop);
  }
  if (ax >= kDstMinNormal) {
    // Rebias the exponent first; values beyond the destination's range
    // saturate to infinity.
    UInt r = ax - kRebias;
    r = (r + kBelowHalf + ((r >> kDrop) & 1)) >> kDrop;
    return static_cast<uint16_t>(sign | (r > kDstInf ? kDstInf : r));
  }
  // Below the smallest normal of the destination: count its subnormal units
  // (2^(1 - kDstBias - DstMant)) by shifting the full significand, and round
  // the remainder half to even. A carry to 2^DstMant units is the smallest
  // normal, whose encoding is that same number.
  int exp = static_cast<int>(ax >> kSrcMant);
  UInt sig = (ax & kSrcMantMask) | (exp ? UInt(1) << kSrcMant : 0);
  int shift = (kSrcBias + kSrcMant + 1 - kDstBias - DstMant) - (exp ? exp : 1);
  if (shift > kSrcMant + 1) // below half a unit even for the largest sig
    return static_cast<uint16_t>(sign);
  UInt units = sig >> shift;
  UInt rest = sig & ((UInt(1) << shift) - 1);
  UInt half = UInt(1) << (shift - 1);
  if (rest > half || (rest == half && (units & 1)))
    ++units;
  return static_cast<uint16_t>(sign | static_cast<uint32_t>(units));
}

} // namespace detail

/// Exact widening of half bits.
inline float halfToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  if (exp == 0x1fu) // infinity or NaN, payload kept
    return llvm::bit_cast<float>(sign | 0x7f800000u | (mant << 13));
  if (exp != 0)
    return llvm::bit_cast<float>(sign | ((exp + 112u) << 23) | (mant << 13));
  // Zero or subnormal: mant * 2^-24 is exact in float.
  float mag = static_cast<float>(mant) * 0x1p-24f;
  return sign ? -mag : mag;
}

/// Exact widening of bfloat16 bits.
inline float bf16ToFloat(uint16_t b) {
  return llvm::bit_cast<float>(static_cast<uint32_t>(b) << 16);
}

/// Half / bfloat16 bits of a float or double, rounded once to nearest even.
inline uint16_t floatToHalf(float f) { return detail::narrowTo16<10, 5>(f); }
inline uint16_t floatToBf16(float f) { return detail::narrowTo16<7, 8>(f); }
inline uint16_t doubleToHalf(double d) { return detail::narrowTo16<10, 5>(d); }
inline uint16_t doubleToBf16(double d) { return detail::narrowTo16<7, 8>(d); }

} // namespace mlir::qc

#endif // QC_EXECUTOR_TENSOR_H
