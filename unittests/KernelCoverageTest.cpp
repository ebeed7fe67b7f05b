//===- KernelCoverageTest.cpp - every qc op has an executor kernel --------===//
//
// Part of quantc. The executor is the oracle for every later stage, so an op
// added to the dialect without a kernel is a bug this test catches.
//
//===----------------------------------------------------------------------===//

#include "../lib/Executor/Kernels.h"

#include "qc/Dialect/QC/IR/QCDialect.h"
#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/InitAll.h"

#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

using namespace mlir;

TEST(KernelCoverage, EveryQCOpHasAKernel) {
  DialectRegistry registry;
  qc::registerAllDialects(registry);
  MLIRContext context(registry);
  Dialect *qcDialect = context.getOrLoadDialect<qc::QCDialect>();
  const qc::exec::KernelRegistry &kernels = qc::exec::getKernelRegistry();
  int checked = 0;
  for (RegisteredOperationName name : context.getRegisteredOperations()) {
    if (&name.getDialect() != qcDialect)
      continue;
    // Constants and observers are handled by the executor core itself.
    if (name.getStringRef() == qc::ConstantOp::getOperationName() ||
        name.getStringRef() == qc::ObserveOp::getOperationName())
      continue;
    ++checked;
    EXPECT_NE(kernels.lookup(name.getStringRef()), nullptr)
        << "no executor kernel for '" << name.getStringRef().str() << "'";
  }
  EXPECT_GE(checked, 70); // the dialect has 74 ops today
}

TEST(KernelCoverage, UpstreamQuantCastsHaveKernels) {
  const qc::exec::KernelRegistry &kernels = qc::exec::getKernelRegistry();
  for (const char *op : {"quant.qcast", "quant.dcast", "quant.scast"})
    EXPECT_NE(kernels.lookup(op), nullptr) << op;
}
