//===- FakeQuant.cpp - calibrated qc.observe -> qc.fake_quant --------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Dialect/QC/Transforms/Passes.h"
#include "qc/Quant/Scheme.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/Builders.h"

namespace mlir::qc {
#define GEN_PASS_DEF_FAKEQUANT
#include "qc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {
struct FakeQuantPass : public qc::impl::FakeQuantBase<FakeQuantPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<ObserveOp> observers;
    getOperation()->walk([&](ObserveOp op) { observers.push_back(op); });
    bool failed = false;
    for (ObserveOp op : observers) {
      if (op.getDynamic())
        continue;
      if (!op.getStorage()) {
        op.getResult().replaceAllUsesWith(op.getInput());
        op.erase();
        continue;
      }
      std::string why;
      FailureOr<Type> qt = getObserverQuantType(op, why);
      if (mlir::failed(qt)) {
        op.emitError("cannot fake-quantize '")
            << op.getName().value_or("") << "': " << why;
        failed = true;
        continue;
      }
      OpBuilder b(op);
      auto fq = FakeQuantOp::create(b, op.getLoc(), op.getInput(),
                                    TypeAttr::get(*qt));
      op.getResult().replaceAllUsesWith(fq.getResult());
      op.erase();
    }
    if (failed)
      signalPassFailure();
  }
};
} // namespace
