//===- FoldFakeQuant.cpp - fake-quant patterns -> quantized compute -------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "QuantUtils.h"

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Dialect/QC/IR/QCTypeUtils.h"
#include "qc/Dialect/QC/Transforms/Passes.h"
#include "qc/Dialect/QC/Utils/Numerics.h"
#include "qc/Executor/Executor.h"
#include "qc/Executor/QuantTensor.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Transforms/RegionUtils.h"

#include <cmath>
#include <limits>

namespace mlir::qc {
#define GEN_PASS_DEF_FOLDFAKEQUANT
#include "qc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

struct Folder {
  OpBuilder b;
  int64_t resourceThreshold;
  bool failed = false;

  explicit Folder(MLIRContext *ctx, int64_t threshold)
      : b(ctx), resourceThreshold(threshold) {}

  /// Creates `op` with new operands and result types; nullptr (and nothing
  /// left behind) if the result does not verify.
  Operation *recreate(Operation *op, ValueRange operands, TypeRange types,
                      ArrayRef<NamedAttribute> extraAttrs = {}) {
    OperationState st(op->getLoc(), op->getName());
    st.addOperands(operands);
    st.addAttributes(op->getAttrs());
    for (const NamedAttribute &a : extraAttrs)
      st.addAttribute(a.getName(), a.getValue());
    st.addTypes(types);
    Operation *n = b.create(st);
    ScopedDiagnosticHandler quiet(b.getContext(),
                                  [](Diagnostic &) { return success(); });
    if (mlir::failed(mlir::verify(n, /*verifyRecursively=*/false))) {
      n->erase();
      return nullptr;
    }
    return n;
  }

  Value dcast(Location loc, Value q) {
    auto qt = cast<RankedTensorType>(q.getType());
    auto ft = qt.clone(getExpressedType(qt.getElementType()));
    return quant::DequantizeCastOp::create(b, loc, ft, q);
  }

  /// A quantized constant holding `values` quantized with `quantType`.
  Value quantizedConstant(Location loc, const Tensor &values, Type quantType,
                          StringRef name) {
    Tensor codes = quantizeTensor(values, quantType);
    auto qt = cast<quant::QuantizedType>(quantType);
    auto storageType = RankedTensorType::get(
        values.shape(), IntegerType::get(b.getContext(),
                                         qt.getStorageTypeIntegralWidth()));
    ElementsAttr attr =
        elementsFromTensor(codes, storageType, resourceThreshold, name);
    auto resultType = RankedTensorType::get(values.shape(), quantType);
    return ConstantOp::create(b, loc, resultType, attr);
  }

  /// The float values of a float or quantized constant.
  FailureOr<Tensor> constantValues(Value v) {
    auto c = v.getDefiningOp<ConstantOp>();
    if (!c)
      return failure();
    auto type = cast<RankedTensorType>(c.getType());
    std::string why;
    FailureOr<Tensor> t = materializeConstant(c.getValue(), type, why);
    if (mlir::failed(t))
      return failure();
    if (isUniformQuantized(type.getElementType()))
      return dequantizeTensor(*t, type.getElementType());
    if (t->dtype() != DType::F32) {
      Tensor f(DType::F32, t->shape());
      for (int64_t i = 0, e = t->numElements(); i < e; ++i)
        f.setFromDouble(i, t->getAsDouble(i));
      return f;
    }
    return t;
  }

  void foldConstantQuantize(quant::QuantizeCastOp op);
  void pushThrough(Operation *op);
  void foldContraction(Operation *op, const ContractionInfo &info);
  void foldRoundTrip(quant::QuantizeCastOp op);
};

} // namespace

static Value dcastSource(Value v) {
  if (auto d = v.getDefiningOp<quant::DequantizeCastOp>())
    return d.getInput();
  return Value();
}

static Type elementType(Value v) { return getElementTypeOrSelf(v.getType()); }

void Folder::foldConstantQuantize(quant::QuantizeCastOp op) {
  auto c = op.getInput().getDefiningOp<ConstantOp>();
  if (!c)
    return;
  FailureOr<Tensor> values = constantValues(c);
  if (mlir::failed(values))
    return;
  b.setInsertionPoint(op);
  std::string name = getLocName(c->getLoc());
  Value q = quantizedConstant(c.getLoc(), *values,
                              elementType(op.getResult()),
                              name.empty() ? "qweight" : name + ".q");
  op.getResult().replaceAllUsesWith(q);
}

void Folder::pushThrough(Operation *op) {
  if (op->getNumOperands() != 1 || op->getNumResults() != 1)
    return;
  Value q = dcastSource(op->getOperand(0));
  if (!q || !isa<quant::UniformQuantizedType>(elementType(q)))
    return;
  auto rt = cast<RankedTensorType>(op->getResult(0).getType());
  b.setInsertionPoint(op);
  Operation *n = recreate(op, {q}, {rt.clone(elementType(q))});
  if (!n)
    return;
  op->getResult(0).replaceAllUsesWith(dcast(op->getLoc(), n->getResult(0)));
}

/// The single user of `v`, if it has exactly one use.
static Operation *singleUser(Value v) {
  return v.hasOneUse() ? *v.getUsers().begin() : nullptr;
}

void Folder::foldContraction(Operation *op, const ContractionInfo &info) {
  Value wq = dcastSource(info.weight->get());
  if (!wq || !wq.getDefiningOp<ConstantOp>())
    return;
  Type wt = elementType(wq);
  Value x = info.input->get();
  Value xq = dcastSource(x);
  Value y = op->getResult(0);
  auto yType = cast<RankedTensorType>(y.getType());
  b.setInsertionPoint(op);

  // Integer form: quantized input and weight.
  if (xq && isa<quant::UniformQuantizedType>(elementType(xq)) &&
      !isa<quant::UniformQuantizedSubChannelType>(wt)) {
    double sx = cast<quant::UniformQuantizedType>(elementType(xq)).getScale();
    SmallVector<double> sw;
    if (auto pt = dyn_cast<quant::UniformQuantizedType>(wt))
      sw.push_back(pt.getScale());
    else
      sw.append(cast<quant::UniformQuantizedPerAxisType>(wt).getScales().begin(),
                cast<quant::UniformQuantizedPerAxisType>(wt).getScales().end());
    Value bq;
    bool biasOk = true;
    if (info.bias) {
      FailureOr<Tensor> bv = constantValues(dcastSource(info.bias->get())
                                                ? dcastSource(info.bias->get())
                                                : info.bias->get());
      if (mlir::failed(bv) || bv->rank() != 1) {
        biasOk = false;
      } else {
        MLIRContext *ctx = b.getContext();
        Type i32 = IntegerType::get(ctx, 32);
        Type f32 = getExpressedType(elementType(xq));
        int64_t n = bv->numElements();
        SmallVector<double> accScales;
        for (int64_t c = 0; c < (sw.size() == 1 ? 1 : n); ++c)
          accScales.push_back(sx * sw[sw.size() == 1 ? 0 : c]);
        Type bt;
        if (sw.size() == 1)
          bt = quant::UniformQuantizedType::get(
              quant::QuantizationFlags::Signed, i32, f32, accScales[0], 0,
              std::numeric_limits<int32_t>::min(),
              std::numeric_limits<int32_t>::max());
        else
          bt = quant::UniformQuantizedPerAxisType::get(
              quant::QuantizationFlags::Signed, i32, f32, accScales,
              SmallVector<int64_t>(n, 0), 0,
              std::numeric_limits<int32_t>::min(),
              std::numeric_limits<int32_t>::max());
        // Round once, in double, from the float bias (not through the f32
        // division of quantize(), which loses bits at 32-bit magnitudes).
        Tensor codes(DType::I32, bv->shape());
        for (int64_t c = 0; c < n; ++c) {
          double s = static_cast<float>(accScales[accScales.size() == 1 ? 0 : c]);
          double v = numerics::roundHalfToEven(bv->getAsDouble(c) / s);
          v = std::clamp(v, -2147483648.0, 2147483647.0);
          codes.data<int32_t>()[c] = static_cast<int32_t>(v);
        }
        std::string name = getLocName(op->getLoc());
        ElementsAttr attr = elementsFromTensor(
            codes, RankedTensorType::get(bv->shape(), i32), resourceThreshold,
            name.empty() ? "qbias" : name + ".bias.q");
        bq = ConstantOp::create(b, op->getLoc(),
                                RankedTensorType::get(bv->shape(), bt), attr);
      }
    }
    if (biasOk) {
      // Where the result goes: straight into a quantize, through a ReLU into
      // a quantize, or out as float.
      Operation *user = singleUser(y);
      auto qOut = dyn_cast_or_null<quant::QuantizeCastOp>(user);
      ReluOp relu;
      if (!qOut && user && isa<ReluOp>(user)) {
        relu = cast<ReluOp>(user);
        qOut = dyn_cast_or_null<quant::QuantizeCastOp>(
            singleUser(relu.getResult()));
      }
      SmallVector<Value> operands = {xq, wq};
      if (bq)
        operands.push_back(bq);
      if (qOut && isa<quant::UniformQuantizedType>(elementType(qOut))) {
        auto outType = cast<quant::UniformQuantizedType>(elementType(qOut));
        if (Operation *n =
                recreate(op, operands, {yType.clone(outType)})) {
          Value r = n->getResult(0);
          // A ReLU is a no-op when the type cannot hold negative values.
          if (relu && outType.getZeroPoint() > outType.getStorageTypeMin())
            r = ReluOp::create(b, relu.getLoc(), r.getType(), r);
          qOut.getResult().replaceAllUsesWith(r);
          return;
        }
      }
      if (Operation *n = recreate(op, operands, {yType})) {
        y.replaceAllUsesWith(n->getResult(0));
        return;
      }
    }
    if (bq && bq.use_empty())
      bq.getDefiningOp()->erase();
  }

  // Weight-only or dynamic form: float input.
  Value xf = x;
  SmallVector<NamedAttribute> extra;
  if (auto obs = x.getDefiningOp<ObserveOp>(); obs && obs.getDynamic()) {
    xf = obs.getInput();
    extra.push_back(b.getNamedAttr("dynamic_act", b.getUnitAttr()));
  }
  SmallVector<Value> operands = {xf, wq};
  if (info.bias)
    operands.push_back(info.bias->get());
  if (Operation *n = recreate(op, operands, {yType}, extra)) {
    y.replaceAllUsesWith(n->getResult(0));
    return;
  }
  if (!extra.empty()) {
    // The weight does not allow the dynamic form: weight-only.
    operands[0] = x;
    if (Operation *n = recreate(op, operands, {yType}))
      y.replaceAllUsesWith(n->getResult(0));
  }
}

void Folder::foldRoundTrip(quant::QuantizeCastOp op) {
  Value q = dcastSource(op.getInput());
  if (q && q.getType() == op.getResult().getType())
    op.getResult().replaceAllUsesWith(q);
}

namespace {
struct FoldFakeQuantPass
    : public qc::impl::FoldFakeQuantBase<FoldFakeQuantPass> {
  using Base::Base;
  void runOnOperation() override {
    Operation *root = getOperation();
    Folder f(&getContext(), resourceThreshold);

    // 1. Fake-quant ops become explicit quantize/dequantize pairs.
    SmallVector<FakeQuantOp> fakeQuants;
    root->walk([&](FakeQuantOp op) { fakeQuants.push_back(op); });
    for (FakeQuantOp op : fakeQuants) {
      f.b.setInsertionPoint(op);
      auto ft = cast<RankedTensorType>(op.getType());
      Value q = quant::QuantizeCastOp::create(
          f.b, op.getLoc(), ft.clone(op.getQuantType()), op.getInput());
      op.getResult().replaceAllUsesWith(f.dcast(op.getLoc(), q));
      op.erase();
    }

    // 2. One pass in program order: every op's operands are final when it
    // is visited.
    SmallVector<Operation *> ops;
    root->walk([&](Operation *op) {
      if (op != root)
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      if (op->use_empty())
        continue;
      if (auto q = dyn_cast<quant::QuantizeCastOp>(op)) {
        f.foldConstantQuantize(q);
        if (!q->use_empty())
          f.foldRoundTrip(q);
        continue;
      }
      if (isGridPreservingOp(op)) {
        f.pushThrough(op);
        continue;
      }
      if (std::optional<ContractionInfo> info = getContractionInfo(op))
        f.foldContraction(op, *info);
    }

    // 3. Drop what is no longer used (observers of dynamic activations
    // included).
    bool changed = true;
    while (changed) {
      changed = false;
      SmallVector<Operation *> dead;
      root->walk([&](Operation *op) {
        if (op != root && op->use_empty() && op->getNumResults() > 0 &&
            isMemoryEffectFree(op) && op->getNumRegions() == 0)
          dead.push_back(op);
      });
      for (Operation *op : llvm::reverse(dead)) {
        op->erase();
        changed = true;
      }
    }
  }
};
} // namespace
