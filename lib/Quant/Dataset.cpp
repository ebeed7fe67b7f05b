//===- Dataset.cpp - calibration data ------------------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Quant/Dataset.h"

using namespace mlir::qc;

CalibrationDataset::~CalibrationDataset() = default;
