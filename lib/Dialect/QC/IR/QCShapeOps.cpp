//===- QCShapeOps.cpp --------------------------------------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Dialect/QC/IR/QCTypeUtils.h"

using namespace mlir;
using namespace mlir::qc;
