//===- Pipelines.cpp - qc pass pipelines and registration -----------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/Transforms/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void qc::buildLowerFakeQuantPipeline(
    OpPassManager &pm, const LowerFakeQuantPipelineOptions &options) {
  if (!options.keepObservers)
    pm.addPass(createStripObservers());
  pm.addPass(createExpandFakeQuant());
  // No canonicalizer here: upstream folds quant.dcast(quant.qcast(x)) to x,
  // which would silently drop the rounding this pipeline makes explicit.
  pm.addPass(createCSEPass());
}

void qc::registerQCPassesAndPipelines() {
  registerQCPasses();
  PassPipelineRegistration<LowerFakeQuantPipelineOptions>(
      "qc-lower-fake-quant",
      "Strip observers, expand qc.fake_quant into quant.qcast/quant.dcast, "
      "and CSE",
      buildLowerFakeQuantPipeline);
}
