//===- Npy.h - NumPy .npy files <-> host tensors ----------------*- C++ -*-===//
//
// Part of quantc. Reads and writes NumPy's .npy format (versions 1.0, 2.0
// and 3.0; little-endian, C order). Every field of the header is validated
// against the file before any allocation is sized from it.
//
//===----------------------------------------------------------------------===//

#ifndef QC_EXECUTOR_NPY_H
#define QC_EXECUTOR_NPY_H

#include "qc/Executor/Tensor.h"

#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir::qc {

/// What a .npy header says about the array that follows it.
struct NpyHeader {
  DType dtype = DType::F32;
  llvm::SmallVector<int64_t, 4> shape;
  /// Byte offset of the first element (the size of magic, version and
  /// header).
  uint64_t dataOffset = 0;
  /// Bytes of data the shape and dtype need.
  uint64_t dataBytes = 0;
};

/// Parses the header at the start of `bytes`, which must hold at least the
/// whole header (the data may be missing: callers that read lazily check the
/// file size against dataOffset + dataBytes themselves).
FailureOr<NpyHeader> parseNpyHeader(llvm::StringRef bytes, llvm::StringRef what,
                                    std::string &error);

/// Parses .npy bytes; `what` names the source in error messages.
FailureOr<Tensor> parseNpy(llvm::StringRef bytes, llvm::StringRef what,
                           std::string &error);
/// Reads a .npy file.
FailureOr<Tensor> readNpyFile(llvm::StringRef path, std::string &error);

/// Serialises a tensor as .npy version 1.0 (2.0 if the header needs it).
std::string writeNpy(const Tensor &tensor);
/// Writes a .npy file atomically (temporary file, then rename), so a failed
/// write leaves nothing behind.
LogicalResult writeNpyFile(llvm::StringRef path, const Tensor &tensor,
                           std::string &error);

} // namespace mlir::qc

#endif // QC_EXECUTOR_NPY_H
