//===- Passes.h - qc dialect passes -----------------------------*- C++ -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_TRANSFORMS_PASSES_H
#define QC_DIALECT_QC_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace mlir::qc {

#define GEN_PASS_DECL
#include "qc/Dialect/QC/Transforms/Passes.h.inc"

/// Options of the `qc-lower-fake-quant` pipeline.
struct LowerFakeQuantPipelineOptions
    : public PassPipelineOptions<LowerFakeQuantPipelineOptions> {
  Option<bool> keepObservers{
      *this, "keep-observers",
      llvm::cl::desc("Keep qc.observe ops instead of stripping them"),
      llvm::cl::init(false)};
};

/// Strips observers, expands fake-quant into quant casts, then CSE.
void buildLowerFakeQuantPipeline(OpPassManager &pm,
                                 const LowerFakeQuantPipelineOptions &options);

/// Registers every qc pass (registerQCPasses) and pipeline.
void registerQCPassesAndPipelines();

#define GEN_PASS_REGISTRATION
#include "qc/Dialect/QC/Transforms/Passes.h.inc"

} // namespace mlir::qc

#endif // QC_DIALECT_QC_TRANSFORMS_PASSES_H
