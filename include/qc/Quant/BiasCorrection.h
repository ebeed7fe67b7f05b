//===- BiasCorrection.h - correct the mean error of quantized weights -*- C++ -*-===//
//
// Part of quantc. quant-compile --bias-correction.
//
//===----------------------------------------------------------------------===//

#ifndef QC_QUANT_BIASCORRECTION_H
#define QC_QUANT_BIASCORRECTION_H

#include "qc/Quant/Dataset.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::qc {

struct BiasCorrectionOptions {
  /// Calibration samples used for the input means (0 = all).
  size_t maxSamples = 64;
  unsigned numThreads = 0;
};

/// `func` is a fake-quantized model (after qc-fake-quant). Rounding a
/// weight shifts the mean of the op's output: for output channel c by
/// `sum_i (fq(W) - W)[c, i] * E[x_i]`, with E[x_i] the mean of input channel
/// i (over samples, batch and positions) in the float model. This is
/// subtracted from the bias of every qc.conv2d and qc.linear whose weight is
/// `qc.fake_quant(qc.constant)` (a zero bias is added when there is none),
/// as in data-free quantization's bias correction, with the means measured
/// on the calibration data.
LogicalResult correctBias(func::FuncOp func, CalibrationDataset &data,
                          const BiasCorrectionOptions &options,
                          std::string &error);

} // namespace mlir::qc

#endif // QC_QUANT_BIASCORRECTION_H
