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
