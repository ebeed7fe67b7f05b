//===- Calibration.h - fill qc.observe ranges from data ----------*- C++ -*-===//
//
// Part of quantc. Runs calibration data through the reference executor and
// writes the range each `qc.observe` should quantize with into its `min`,
// `max` and `method` attributes.
//
//===----------------------------------------------------------------------===//

#ifndef QC_QUANT_CALIBRATION_H
#define QC_QUANT_CALIBRATION_H

#include "qc/Quant/Dataset.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::qc {

enum class CalibrationMethod { MinMax, EmaMinMax, Percentile, MSE, Entropy };

/// "minmax", "ema-minmax", "percentile", "mse", "entropy".
StringRef stringifyCalibrationMethod(CalibrationMethod m);
std::optional<CalibrationMethod> parseCalibrationMethod(StringRef s);

struct CalibrationOptions {
  /// Range choice for activations.
  CalibrationMethod method = CalibrationMethod::MinMax;
  /// Range choice for weights (constants): minmax or mse.
  CalibrationMethod weightMethod = CalibrationMethod::MinMax;
  /// percentile: the fraction of |x| (in percent) kept inside the range.
  double percentile = 99.99;
  /// Histogram bins for percentile, mse and entropy.
  unsigned numBins = 2048;
  /// ema-minmax: weight of the newest batch.
  double emaConstant = 0.01;
  /// Draw a progress bar on stderr (only when stderr is a terminal).
  bool progress = true;
  /// Executor threads (0 = all).
  unsigned numThreads = 0;
};

/// Calibrates every `qc.observe` in `func` that is not dynamic. Weight
/// observers (whose operand is a constant) are computed from the constant
/// directly; the others from the data, streamed one sample at a time.
LogicalResult calibrate(func::FuncOp func, CalibrationDataset &data,
                        const CalibrationOptions &options,
                        std::string &error);

} // namespace mlir::qc

#endif // QC_QUANT_CALIBRATION_H
