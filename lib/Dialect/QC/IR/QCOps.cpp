//===- QCOps.cpp - generated op definitions -------------------------------===//
//
// Part of quantc. Only the generated code lives here; each op family's
// verifiers, folders and parsers live in QC<Family>Ops.cpp.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/IR/QCOps.h"

#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::qc;

#define GET_OP_CLASSES
#include "qc/Dialect/QC/IR/QCOps.cpp.inc"
