//===- NNKernels.cpp ------------------------------------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "qc/Dialect/QC/IR/QCOps.h"

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::exec;

void exec::registerNNKernels(KernelRegistry &registry) {}
