//===- DecomposeActivations.cpp - expand composite activations ------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Dialect/QC/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir::qc {
#define GEN_PASS_DEF_DECOMPOSEACTIVATIONS
#include "qc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

/// A rank-0 constant of `like`'s element type; it broadcasts against any shape.
static Value scalar(PatternRewriter &rewriter, Location loc, Value like,
                    double value) {
  auto elt = cast<RankedTensorType>(like.getType()).getElementType();
  auto type = RankedTensorType::get({}, elt);
  auto attr = DenseElementsAttr::get(
      type, rewriter.getFloatAttr(elt, value).getValue());
  return ConstantOp::create(rewriter, loc, type, attr);
}

template <typename OpTy>
static Value binary(PatternRewriter &rewriter, Location loc, Value a, Value b) {
  return OpTy::create(rewriter, loc, a.getType(), a, b);
}

namespace {
struct ExpandSilu : OpRewritePattern<SiluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SiluOp op, PatternRewriter &rewriter) const override {
    Value x = op.getInput();
    Value s = SigmoidOp::create(rewriter, op.getLoc(), x);
    rewriter.replaceOp(op, binary<MulOp>(rewriter, op.getLoc(), x, s));
    return success();
  }
};

struct ExpandHardSwish : OpRewritePattern<HardSwishOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(HardSwishOp op, PatternRewriter &rewriter) const override {
    Value x = op.getInput();
    Value h = HardSigmoidOp::create(rewriter, op.getLoc(), x,
                                    rewriter.getF64FloatAttr(1.0 / 6.0),
                                    rewriter.getF64FloatAttr(0.5));
    rewriter.replaceOp(op, binary<MulOp>(rewriter, op.getLoc(), x, h));
    return success();
  }
};

struct ExpandGelu : OpRewritePattern<GeluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GeluOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    Value inner;
    if (op.getApproximate() == GeluApprox::None) {
      Value scaled = binary<MulOp>(rewriter, loc, x, scalar(rewriter, loc, x, M_SQRT1_2));
      inner = ErfOp::create(rewriter, loc, scaled);
    } else {
      Value x3 = binary<MulOp>(rewriter, loc, binary<MulOp>(rewriter, loc, x, x), x);
      Value poly = binary<AddOp>(
          rewriter, loc, x, binary<MulOp>(rewriter, loc, x3, scalar(rewriter, loc, x, 0.044715)));
      Value arg = binary<MulOp>(rewriter, loc, poly,
                                scalar(rewriter, loc, x, std::sqrt(2.0 / M_PI)));
      inner = TanhOp::create(rewriter, loc, arg);
    }
    Value onePlus = binary<AddOp>(rewriter, loc, inner, scalar(rewriter, loc, x, 1.0));
    Value half = binary<MulOp>(rewriter, loc, x, scalar(rewriter, loc, x, 0.5));
    rewriter.replaceOp(op, binary<MulOp>(rewriter, loc, half, onePlus));
    return success();
  }
};

struct DecomposeActivationsPass
    : public qc::impl::DecomposeActivationsBase<DecomposeActivationsPass> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *ctx) override {
    for (const std::string &name : ops)
      if (name != "silu" && name != "hardswish" && name != "gelu")
        return emitError(UnknownLoc::get(ctx))
               << "qc-decompose-activations: unknown activation '" << name
               << "' (expected silu, hardswish or gelu)";
    return success();
  }

  void runOnOperation() override {
    auto wanted = [&](StringRef name) {
      return ops.empty() || llvm::is_contained(ops, name);
    };
    RewritePatternSet patterns(&getContext());
    if (wanted("silu"))
      patterns.add<ExpandSilu>(&getContext());
    if (wanted("hardswish"))
      patterns.add<ExpandHardSwish>(&getContext());
    if (wanted("gelu"))
      patterns.add<ExpandGelu>(&getContext());
    GreedyRewriteConfig config;
    config.enableFolding(false);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};
} // namespace
