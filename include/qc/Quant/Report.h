//===- Report.h - per-layer quantization report (JSON and HTML) --*- C++ -*-===//
//
// Part of quantc. quant-compile --report FILE.html|FILE.json.
//
//===----------------------------------------------------------------------===//

#ifndef QC_QUANT_REPORT_H
#define QC_QUANT_REPORT_H

#include "qc/Quant/Dataset.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::qc {

struct ReportOptions {
  /// Output path; ".json" writes JSON, anything else a self-contained HTML
  /// page with SVG plots.
  std::string path;
  /// Samples of the dataset used for activation statistics.
  size_t maxSamples = 32;
  /// Shown in the report header (scheme, method, model file).
  std::string title;
  std::vector<std::pair<std::string, std::string>> settings;
  unsigned numThreads = 0;
};

/// `calibrated` is the float model with calibrated `qc.observe` ops (after
/// qc-calibrate, before qc-fake-quant). Writes per-layer weight and
/// activation SQNR/MSE, activation histograms with the chosen clipping range,
/// bits per weight and the end-to-end output error of the fake-quantized
/// model. The file is written only on success.
LogicalResult writeQuantReport(func::FuncOp calibrated,
                               CalibrationDataset &data,
                               const ReportOptions &options,
                               std::string &error);

} // namespace mlir::qc

#endif // QC_QUANT_REPORT_H
