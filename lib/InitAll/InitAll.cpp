//===- InitAll.cpp - central registration ---------------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/InitAll.h"

#include "qc/Dialect/QC/IR/QCDialect.h"
#include "qc/Conversion/Passes.h"
#include "qc/Dialect/QC/Transforms/Passes.h"
#include "qc/Quant/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Transforms/Passes.h"

void mlir::qc::registerAllDialects(DialectRegistry &registry) {
  registry.insert<qc::QCDialect, quant::QuantDialect, func::FuncDialect,
                  arith::ArithDialect, tensor::TensorDialect,
                  linalg::LinalgDialect, math::MathDialect>();
}

void mlir::qc::registerAllPasses() {
  registerTransformsPasses();
  registerQCPassesAndPipelines();
  registerQCQuantPasses();
  registerQCConversionPasses();
}
