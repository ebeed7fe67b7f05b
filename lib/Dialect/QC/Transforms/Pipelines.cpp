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
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void qc::registerQCPassesAndPipelines() {
  registerQCPasses();
  PassPipelineRegistration<LowerFakeQuantPipelineOptions>(
      "qc-lower-fake-quant",
      "Strip observers, expand qc.fake_quant into quant.qcast/quant.dcast, "
      "canonicalize and CSE",
      buildLowerFakeQuantPipeline);
}
