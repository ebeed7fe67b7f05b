//===- StripObservers.cpp - remove qc.observe ------------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Dialect/QC/Transforms/Passes.h"

namespace mlir::qc {
#define GEN_PASS_DEF_STRIPOBSERVERS
#include "qc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {
struct StripObserversPass
    : public qc::impl::StripObserversBase<StripObserversPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<ObserveOp> dead;
    getOperation()->walk([&](ObserveOp op) {
      if (!onlyUncalibrated || !op.isCalibrated())
        dead.push_back(op);
    });
    for (ObserveOp op : dead) {
      op.getResult().replaceAllUsesWith(op.getInput());
      op.erase();
    }
  }
};
} // namespace
