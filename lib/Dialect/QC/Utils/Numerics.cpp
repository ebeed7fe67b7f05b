//===- Numerics.cpp - the quantization arithmetic -------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/Utils/Numerics.h"

#include <cmath>

double mlir::qc::numerics::roundHalfToEven(double x) { return std::nearbyint(x); }
