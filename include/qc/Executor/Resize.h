//===- Resize.h - ONNX Resize coordinate rules ------------------*- C++ -*-===//
//
// Part of quantc.
//
// The coordinate transforms and interpolation taps of qc.resize, shared by the
// reference executor and the code generators so that both pick the same
// source pixels and weights.
//
//===----------------------------------------------------------------------===//

#ifndef QC_EXECUTOR_RESIZE_H
#define QC_EXECUTOR_RESIZE_H

#include "qc/Dialect/QC/IR/QCOps.h"

#include <cstdint>

namespace mlir::qc::resize {

/// One resized dimension: input and output extents and the scale out/in (or
/// the explicit scale of the op).
struct ResizeDim {
  int64_t in, out;
  double scale;
};

/// The input coordinate of output coordinate `x` (QCShapeOps.td).
double sourceCoord(double x, const ResizeDim &dim, CoordinateMode mode);

/// The input index nearest-mode resize reads for source coordinate `x`.
int64_t nearestIndex(double x, NearestMode mode, int64_t in);

/// Taps and weights of one output coordinate of a linear or cubic pass.
struct Taps {
  int64_t index[4];
  double weight[4];
  int count;
};

Taps linearTaps(double x, int64_t in);
Taps cubicTaps(double x, int64_t in, double a, bool excludeOutside);

} // namespace mlir::qc::resize

#endif // QC_EXECUTOR_RESIZE_H
