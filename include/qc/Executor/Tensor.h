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

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

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
bool isSignedIntDType(DType t);

/// The host dtype for an MLIR element type: floats map directly, signless
/// integers are signed except i1 (Bool), unsigned integers are unsigned, and
/// a quantized type maps to its storage integer (signed or not, widened to
/// at least 8 bits). nullopt for anything else.
std::optional<DType> dtypeFromType(Type elementType);

/// The MLIR element type for a dtype (signless for signed integers, `ui8`
/// etc. for unsigned, `i1` for Bool).
Type typeFromDType(MLIRContext *ctx, DType t);

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
  /// Sets element `i` from a double: floats round to nearest, integers
  /// truncate toward zero after the caller has rounded/saturated.
  void setFromDouble(int64_t i, double v);

  /// "f32[1x3x28x28]".
  std::string describe() const;

private:
  DType type = DType::F32;
  llvm::SmallVector<int64_t, 4> dims;
  std::shared_ptr<const void> storage;
  void *ptr = nullptr;
};

/// IEEE half and bfloat16 conversions (round to nearest even).
float halfToFloat(uint16_t h);
uint16_t floatToHalf(float f);
float bf16ToFloat(uint16_t b);
uint16_t floatToBf16(float f);

} // namespace mlir::qc

#endif // QC_EXECUTOR_TENSOR_H
