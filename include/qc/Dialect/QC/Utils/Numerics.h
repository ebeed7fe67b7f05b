//===- Numerics.h - the quantization arithmetic, defined once ---*- C++ -*-===//
//
// Part of quantc. See docs/Numerics.md.
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_UTILS_NUMERICS_H
#define QC_DIALECT_QC_UTILS_NUMERICS_H

#include <cstdint>

namespace mlir::qc::numerics {

/// Rounds to the nearest integer, ties to even (ONNX QuantizeLinear).
double roundHalfToEven(double x);

} // namespace mlir::qc::numerics

#endif // QC_DIALECT_QC_UTILS_NUMERICS_H
