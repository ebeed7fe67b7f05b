//===- Dataset.cpp - calibration data, streamed sample by sample ----------===//
//
// Part of quantc.
//
// The out-of-line destructor anchors CalibrationDataset's vtable here, so
// that in-memory datasets (tests, reports) link without the file readers.
// openCalibrationDataset() belongs in this file as well.
//
//===----------------------------------------------------------------------===//

#include "qc/Quant/Dataset.h"

using namespace mlir::qc;

CalibrationDataset::~CalibrationDataset() = default;
