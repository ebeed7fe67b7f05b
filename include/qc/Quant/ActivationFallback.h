//===- ActivationFallback.h - keep badly quantizing activations float -*- C++ -*-===//
//
// Part of quantc. quant-compile --act-min-sqnr DB.
//
//===----------------------------------------------------------------------===//

#ifndef QC_QUANT_ACTIVATIONFALLBACK_H
#define QC_QUANT_ACTIVATIONFALLBACK_H

#include "qc/Quant/Dataset.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <string>
#include <vector>

namespace mlir::qc {

/// Measures, over up to `maxSamples` samples of `data`, the SQNR
/// (10 log10(sum x^2 / sum (x - fq(x))^2)) of quantizing each calibrated
/// activation observer's tensor with its own quantized type, and removes
/// the observers below `minSqnrDb`: their value stays float, so the ops
/// that produce it give a float result and the ops that consume it run in
/// the weight-only form. `dropped` receives "name (SQNR dB)" for each.
LogicalResult dropNoisyActivations(func::FuncOp func, CalibrationDataset &data,
                                   double minSqnrDb, size_t maxSamples,
                                   unsigned numThreads,
                                   std::vector<std::string> &dropped,
                                   std::string &error);

} // namespace mlir::qc

#endif // QC_QUANT_ACTIVATIONFALLBACK_H
