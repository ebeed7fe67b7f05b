//===- Smooth.h - migrate activation outliers into weights -------*- C++ -*-===//
//
// Part of quantc. quant-compile --smooth-alpha A (SmoothQuant).
//
//===----------------------------------------------------------------------===//

#ifndef QC_QUANT_SMOOTH_H
#define QC_QUANT_SMOOTH_H

#include "qc/Quant/Dataset.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <vector>

namespace mlir::qc {

struct SmoothOptions {
  /// Migration strength: s_i = max|x_i|^alpha / max|W_i|^(1 - alpha).
  double alpha = 0.5;
  size_t maxSamples = 64;
  unsigned numThreads = 0;
};

/// The smoothing targets of a float model, in program order: qc.conv2d and
/// qc.linear with a float input and a constant f32 weight.
std::vector<Operation *> getSmoothingTargets(func::FuncOp func);

/// Per input channel i of every target, s_i = max|x_i|^alpha /
/// max|W[:, i]|^(1 - alpha), with max|x_i| measured on the calibration data
/// in the float model (channels with no signal keep s_i = 1).
FailureOr<std::vector<std::vector<float>>>
computeSmoothingScales(func::FuncOp func, CalibrationDataset &data,
                       const SmoothOptions &options, std::string &error);

/// Rewrites every target as `op(x * (1/s), W * s)`: a `qc.mul` by a
/// per-channel constant in front of the op (which stays float and is what
/// gets quantized), and the weight's input channels scaled by `s`. The
/// function computes the same values; the activation's outlier channels
/// move into the weights. `scales` comes from computeSmoothingScales() on
/// this function or on a copy with other input shapes.
LogicalResult applySmoothing(func::FuncOp func,
                             ArrayRef<std::vector<float>> scales,
                             std::string &error);

} // namespace mlir::qc

#endif // QC_QUANT_SMOOTH_H
