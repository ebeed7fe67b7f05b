//===- LearnedQuant.h - learned scales and rounding (QAT) --------*- C++ -*-===//
//
// Part of quantc. quant-compile --qat-steps N.
//
//===----------------------------------------------------------------------===//

#ifndef QC_QUANT_LEARNEDQUANT_H
#define QC_QUANT_LEARNEDQUANT_H

#include "qc/Quant/Dataset.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::qc {

struct LearnedQuantOptions {
  /// Optimisation steps per layer.
  unsigned steps = 500;
  /// Calibration samples used (0 = all).
  size_t maxSamples = 64;
  double learningRate = 1e-3;
  bool learnScales = true;   ///< LSQ-style per-channel/group weight scales
  bool learnRounding = true; ///< AdaRound-style up/down rounding
  bool progress = true;
  unsigned numThreads = 0;
};

/// `func` is a fake-quantized model (after qc-fake-quant): contraction ops
/// (conv2d, linear, matmul) whose weight is `qc.fake_quant(qc.constant)`.
/// Layer by layer, in program order, learns the weight quantization that
/// best reproduces the float layer's output on the data, with the inputs
/// the already-learned quantized layers produce. Writes the result back as
/// a new `quant_type` (scales) and a weight constant whose round-to-nearest
/// quantization gives the learned integers.
LogicalResult learnWeightQuantization(func::FuncOp func,
                                      CalibrationDataset &data,
                                      const LearnedQuantOptions &options,
                                      std::string &error);

} // namespace mlir::qc

#endif // QC_QUANT_LEARNEDQUANT_H
