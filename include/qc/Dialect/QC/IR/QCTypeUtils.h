//===- QCTypeUtils.h - shape and quantized-type helpers ---------*- C++ -*-===//
//
// Part of quantc. Helpers shared by the op verifiers, the importers and the
// passes: broadcasting, shape printing, and the rules tying a quantized
// element type (per-axis, sub-channel) to the shape of the tensor holding it.
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_IR_QCTYPEUTILS_H
#define QC_DIALECT_QC_IR_QCTYPEUTILS_H

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"

#include <string>

namespace mlir::qc {

/// "2x?x3" for a shape, "scalar" for rank 0.
std::string shapeToString(llvm::ArrayRef<int64_t> shape);

/// NumPy broadcast of two shapes; dynamic dims broadcast against 1 or
/// against each other. Failure names the first incompatible pair in `why`.
FailureOr<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b,
                std::string *why = nullptr);

/// Same rank and every static dim equal where both are static.
bool isCompatibleShape(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);

/// The float type a value of `elementType` represents: the expressed type of
/// a quantized type, the type itself otherwise.
Type getExpressedType(Type elementType);

/// Uniform quantized of any granularity (per-tensor, per-axis, sub-channel).
bool isUniformQuantized(Type elementType);

/// Checks that a quantized element type fits a tensor of `shape`:
/// per-axis: the axis exists and has as many scales as elements (if static);
/// sub-channel: every quantized dimension exists, its block size is positive
/// and divides the dimension (as upstream's quant ops require), and the scale
/// tensor has dim / block entries along it and 1 along every dimension
/// without a block (upstream's convention: such a dimension is one block).
LogicalResult
verifyQuantTypeForShape(llvm::function_ref<InFlightDiagnostic()> emitError,
                        Type elementType, llvm::ArrayRef<int64_t> shape,
                        llvm::StringRef what);

/// Emits "<what> shape H does not match the expected W" on `op` unless the
/// shape of tensor type `result` is compatible with `expected`.
LogicalResult verifyResultShape(Operation *op, llvm::ArrayRef<int64_t> expected,
                                Type result, llvm::StringRef what = "result");

/// Checks the attributes of a 2-D sliding window (convolution, pooling):
/// 2 positive strides, 2 positive dilations and 4 non-negative pads
/// [top, left, bottom, right]. Failure explains why in `why`.
LogicalResult verifyWindow2D(llvm::ArrayRef<int64_t> strides,
                             llvm::ArrayRef<int64_t> pads,
                             llvm::ArrayRef<int64_t> dilations,
                             std::string &why);

/// Normalises a possibly negative axis against `rank`; failure when out of
/// range.
FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank);

} // namespace mlir::qc

#endif // QC_DIALECT_QC_IR_QCTYPEUTILS_H
