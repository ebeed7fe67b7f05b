//===- ExpandFakeQuant.cpp - qc.fake_quant -> quant.qcast + quant.dcast ----===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Dialect/QC/Transforms/Passes.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::qc {
#define GEN_PASS_DEF_EXPANDFAKEQUANT
#include "qc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {
struct ExpandFakeQuantPass
    : public qc::impl::ExpandFakeQuantBase<ExpandFakeQuantPass> {
  void runOnOperation() override {
    SmallVector<FakeQuantOp> ops;
    getOperation()->walk([&](FakeQuantOp op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (FakeQuantOp op : ops) {
      rewriter.setInsertionPoint(op);
      auto floatType = cast<RankedTensorType>(op.getType());
      auto quantType = floatType.clone(op.getQuantType());
      Value q = quant::QuantizeCastOp::create(rewriter, op.getLoc(), quantType,
                                              op.getInput());
      Value d = quant::DequantizeCastOp::create(rewriter, op.getLoc(),
                                                floatType, q);
      rewriter.replaceOp(op, d);
    }
  }
};
} // namespace
