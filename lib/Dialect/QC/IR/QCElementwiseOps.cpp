//===- QCElementwiseOps.cpp - elementwise ops -----------------------------===//
//
// Part of quantc. Verifiers for broadcasting, identity folds and constant
// folding (used at import to evaluate static shape arithmetic).
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Dialect/QC/IR/QCTypeUtils.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/APInt.h"
#include "llvm/ADT/APSInt.h"

#include <cmath>
#include <optional>

using namespace mlir;
using namespace mlir::qc;

/// Constant folding stops at this many result elements: it exists for shape
/// arithmetic and small parameter tensors, not for weights.
static constexpr int64_t kMaxFoldElements = 1 << 16;

//===----------------------------------------------------------------------===//
// Verification
//===----------------------------------------------------------------------===//

/// Checks broadcast shapes of `operands` against `result`, and that the
/// element types agree: all equal (ignoring a bool result), or all per-tensor
/// quantized with one expressed type.
static LogicalResult verifyBroadcast(Operation *op, TypeRange operands,
                                     Type result, bool boolResult) {
  SmallVector<int64_t> shape;
  for (auto [i, t] : llvm::enumerate(operands)) {
    auto rt = cast<RankedTensorType>(t);
    if (i == 0) {
      shape.assign(rt.getShape().begin(), rt.getShape().end());
      continue;
    }
    std::string why;
    FailureOr<SmallVector<int64_t>> b = broadcastShapes(shape, rt.getShape(), &why);
    if (failed(b))
      return op->emitOpError("operand shapes do not broadcast: ") << why;
    shape = *b;
  }
  auto resultType = cast<RankedTensorType>(result);
  if (!isCompatibleShape(shape, resultType.getShape()))
    return op->emitOpError("result shape ")
           << shapeToString(resultType.getShape())
           << " does not match the broadcast shape " << shapeToString(shape);

  SmallVector<Type> elts;
  for (Type t : operands)
    elts.push_back(cast<RankedTensorType>(t).getElementType());
  if (!boolResult)
    elts.push_back(resultType.getElementType());
  bool anyQuant = llvm::any_of(elts, [](Type t) { return isUniformQuantized(t); });
  if (!anyQuant) {
    for (Type t : elts)
      if (t != elts.front())
        return op->emitOpError("element types must match, got ")
               << elts.front() << " and " << t;
    return success();
  }
  for (Type t : elts) {
    auto q = dyn_cast<quant::UniformQuantizedType>(t);
    if (!q)
      return op->emitOpError("quantized operands and result must all be "
                             "per-tensor !quant.uniform, got ")
             << t;
    if (q.getExpressedType() !=
        cast<quant::QuantizedType>(elts.front()).getExpressedType())
      return op->emitOpError("quantized types must express the same float type");
  }
  return success();
}

#define QC_BINARY_VERIFIER(OP, BOOL)                                           \
  LogicalResult OP::verify() {                                                 \
    return verifyBroadcast(getOperation(),                                     \
                           {getLhs().getType(), getRhs().getType()},           \
                           getType(), BOOL);                                   \
  }
QC_BINARY_VERIFIER(AddOp, false)
QC_BINARY_VERIFIER(SubOp, false)
QC_BINARY_VERIFIER(MulOp, false)
QC_BINARY_VERIFIER(DivOp, false)
QC_BINARY_VERIFIER(PowOp, false)
QC_BINARY_VERIFIER(MaxOp, false)
QC_BINARY_VERIFIER(MinOp, false)
QC_BINARY_VERIFIER(ModOp, false)
QC_BINARY_VERIFIER(EqualOp, true)
QC_BINARY_VERIFIER(LessOp, true)
QC_BINARY_VERIFIER(LessEqualOp, true)
QC_BINARY_VERIFIER(GreaterOp, true)
QC_BINARY_VERIFIER(GreaterEqualOp, true)
QC_BINARY_VERIFIER(AndOp, false)
QC_BINARY_VERIFIER(OrOp, false)
QC_BINARY_VERIFIER(XorOp, false)
#undef QC_BINARY_VERIFIER

LogicalResult WhereOp::verify() {
  if (failed(verifyBroadcast(getOperation(),
                             {getLhs().getType(), getRhs().getType()},
                             getType(), false)))
    return failure();
  std::string why;
  auto cond = getCondition().getType().getShape();
  auto res = getType().getShape();
  FailureOr<SmallVector<int64_t>> b = broadcastShapes(cond, res, &why);
  if (failed(b) || !isCompatibleShape(*b, res))
    return emitOpError("condition shape ")
           << shapeToString(cond) << " does not broadcast to the result shape "
           << shapeToString(res);
  return success();
}

LogicalResult ClipOp::verify() {
  if (getMin() && getMax() && getMin()->convertToDouble() > getMax()->convertToDouble())
    return emitOpError("min ") << getMin()->convertToDouble()
                               << " is greater than max "
                               << getMax()->convertToDouble();
  return success();
}

//===----------------------------------------------------------------------===//
// Constant folding
//===----------------------------------------------------------------------===//

/// Flat index into an operand of `srcShape` broadcast to `dstShape`.
static int64_t broadcastIndex(int64_t flat, ArrayRef<int64_t> dstShape,
                              ArrayRef<int64_t> srcShape) {
  int64_t src = 0, srcStride = 1;
  int64_t offset = dstShape.size() - srcShape.size();
  for (int64_t d = dstShape.size() - 1; d >= 0; --d) {
    int64_t coord = flat % dstShape[d];
    flat /= dstShape[d];
    if (d >= offset) {
      int64_t sd = srcShape[d - offset];
      if (sd != 1)
        src += coord * srcStride;
      srcStride *= sd;
    }
  }
  return src;
}

using FloatFn = std::function<std::optional<APFloat>(const APFloat &, const APFloat &)>;
using IntFn = std::function<std::optional<APInt>(const APInt &, const APInt &)>;

/// Folds a binary op over two dense constants. `floatFn`/`intFn` return the
/// element result (APInt of width 1 for a bool result), or nullopt to give up.
static Attribute foldBinaryConstants(ArrayRef<Attribute> operands,
                                     RankedTensorType resultType,
                                     const FloatFn &floatFn, const IntFn &intFn) {
  if (operands.size() != 2 || !resultType.hasStaticShape() ||
      resultType.getNumElements() > kMaxFoldElements)
    return {};
  auto lhs = dyn_cast_or_null<DenseElementsAttr>(operands[0]);
  auto rhs = dyn_cast_or_null<DenseElementsAttr>(operands[1]);
  if (!lhs || !rhs)
    return {};
  Type elt = lhs.getElementType();
  Type resElt = resultType.getElementType();
  if (isUniformQuantized(resElt))
    return {};
  auto dst = resultType.getShape();
  auto ls = lhs.getType().getShape(), rs = rhs.getType().getShape();
  int64_t n = resultType.getNumElements();
  if (isa<FloatType>(elt)) {
    if (!floatFn)
      return {};
    auto lv = lhs.getValues<APFloat>(), rv = rhs.getValues<APFloat>();
    SmallVector<APFloat> fres;
    SmallVector<APInt> ires;
    for (int64_t i = 0; i < n; ++i) {
      std::optional<APFloat> r = floatFn(lv[lhs.isSplat() ? 0 : broadcastIndex(i, dst, ls)],
                                         rv[rhs.isSplat() ? 0 : broadcastIndex(i, dst, rs)]);
      if (!r)
        return {};
      if (isa<FloatType>(resElt))
        fres.push_back(*r);
      else
        ires.push_back(APInt(1, r->isZero() ? 0 : 1));
    }
    if (isa<FloatType>(resElt))
      return DenseElementsAttr::get(resultType, fres);
    return DenseElementsAttr::get(resultType, ires);
  }
  if (isa<IntegerType>(elt)) {
    if (!intFn)
      return {};
    auto lv = lhs.getValues<APInt>(), rv = rhs.getValues<APInt>();
    SmallVector<APInt> res;
    for (int64_t i = 0; i < n; ++i) {
      std::optional<APInt> r = intFn(lv[lhs.isSplat() ? 0 : broadcastIndex(i, dst, ls)],
                                     rv[rhs.isSplat() ? 0 : broadcastIndex(i, dst, rs)]);
      if (!r)
        return {};
      res.push_back(*r);
    }
    return DenseElementsAttr::get(resultType, res);
  }
  return {};
}

/// True when `attr` is a splat constant equal to `value` (float or int).
static bool isSplatOf(Attribute attr, double value) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
  if (!dense || !dense.isSplat())
    return false;
  if (isa<FloatType>(dense.getElementType()))
    return dense.getSplatValue<APFloat>().convertToDouble() == value;
  if (isa<IntegerType>(dense.getElementType()))
    return dense.getSplatValue<APInt>().getSExtValue() == value;
  return false;
}

static APInt boolInt(bool b) { return APInt(1, b ? 1 : 0); }

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  if (isSplatOf(adaptor.getRhs(), 0) && getLhs().getType() == getType())
    return getLhs();
  return foldBinaryConstants(
      adaptor.getOperands(), getType(),
      [](const APFloat &a, const APFloat &b) { return a + b; },
      [](const APInt &a, const APInt &b) { return a + b; });
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  if (isSplatOf(adaptor.getRhs(), 0) && getLhs().getType() == getType())
    return getLhs();
  return foldBinaryConstants(
      adaptor.getOperands(), getType(),
      [](const APFloat &a, const APFloat &b) { return a - b; },
      [](const APInt &a, const APInt &b) { return a - b; });
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  if (isSplatOf(adaptor.getRhs(), 1) && getLhs().getType() == getType())
    return getLhs();
  return foldBinaryConstants(
      adaptor.getOperands(), getType(),
      [](const APFloat &a, const APFloat &b) { return a * b; },
      [](const APInt &a, const APInt &b) { return a * b; });
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  if (isSplatOf(adaptor.getRhs(), 1) && getLhs().getType() == getType())
    return getLhs();
  return foldBinaryConstants(
      adaptor.getOperands(), getType(),
      [](const APFloat &a, const APFloat &b) { return a / b; },
      [](const APInt &a, const APInt &b) -> std::optional<APInt> {
        if (b.isZero())
          return std::nullopt; // leave division by zero to run time
        return a.sdiv(b);
      });
}

OpFoldResult PowOp::fold(FoldAdaptor adaptor) {
  if (isSplatOf(adaptor.getRhs(), 1) && getLhs().getType() == getType())
    return getLhs();
  return foldBinaryConstants(
      adaptor.getOperands(), getType(),
      [](const APFloat &a, const APFloat &b) -> std::optional<APFloat> {
        if (&a.getSemantics() != &APFloat::IEEEdouble() &&
            &a.getSemantics() != &APFloat::IEEEsingle())
          return std::nullopt;
        bool single = &a.getSemantics() == &APFloat::IEEEsingle();
        double r = std::pow(a.convertToDouble(), b.convertToDouble());
        return single ? APFloat(static_cast<float>(r)) : APFloat(r);
      },
      nullptr);
}

OpFoldResult MaxOp::fold(FoldAdaptor adaptor) {
  if (getLhs() == getRhs() && getLhs().getType() == getType())
    return getLhs();
  return foldBinaryConstants(
      adaptor.getOperands(), getType(),
      [](const APFloat &a, const APFloat &b) { return llvm::maximum(a, b); },
      [](const APInt &a, const APInt &b) { return a.sge(b) ? a : b; });
}

OpFoldResult MinOp::fold(FoldAdaptor adaptor) {
  if (getLhs() == getRhs() && getLhs().getType() == getType())
    return getLhs();
  return foldBinaryConstants(
      adaptor.getOperands(), getType(),
      [](const APFloat &a, const APFloat &b) { return llvm::minimum(a, b); },
      [](const APInt &a, const APInt &b) { return a.sle(b) ? a : b; });
}

OpFoldResult ModOp::fold(FoldAdaptor adaptor) {
  return foldBinaryConstants(
      adaptor.getOperands(), getType(), nullptr,
      [](const APInt &a, const APInt &b) -> std::optional<APInt> {
        if (b.isZero())
          return std::nullopt;
        APInt r = a.srem(b);
        // The result takes the sign of the divisor.
        if (!r.isZero() && (r.isNegative() != b.isNegative()))
          r += b;
        return r;
      });
}

#define QC_COMPARE_FOLDER(OP, FCMP, ICMP)                                      \
  OpFoldResult OP::fold(FoldAdaptor adaptor) {                                 \
    return foldBinaryConstants(                                                \
        adaptor.getOperands(), getType(),                                      \
        [](const APFloat &a, const APFloat &b) -> std::optional<APFloat> {     \
          APFloat::cmpResult c = a.compare(b);                                 \
          (void)c;                                                             \
          return APFloat((FCMP) ? 1.0f : 0.0f);                                \
        },                                                                     \
        [](const APInt &a, const APInt &b) -> std::optional<APInt> {           \
          return boolInt(ICMP);                                                \
        });                                                                    \
  }
QC_COMPARE_FOLDER(EqualOp, c == APFloat::cmpEqual, a == b)
QC_COMPARE_FOLDER(LessOp, c == APFloat::cmpLessThan, a.slt(b))
QC_COMPARE_FOLDER(LessEqualOp, c == APFloat::cmpLessThan || c == APFloat::cmpEqual,
                  a.sle(b))
QC_COMPARE_FOLDER(GreaterOp, c == APFloat::cmpGreaterThan, a.sgt(b))
QC_COMPARE_FOLDER(GreaterEqualOp,
                  c == APFloat::cmpGreaterThan || c == APFloat::cmpEqual, a.sge(b))
#undef QC_COMPARE_FOLDER

OpFoldResult AndOp::fold(FoldAdaptor adaptor) {
  return foldBinaryConstants(adaptor.getOperands(), getType(), nullptr,
                             [](const APInt &a, const APInt &b) { return a & b; });
}
OpFoldResult OrOp::fold(FoldAdaptor adaptor) {
  return foldBinaryConstants(adaptor.getOperands(), getType(), nullptr,
                             [](const APInt &a, const APInt &b) { return a | b; });
}
OpFoldResult XorOp::fold(FoldAdaptor adaptor) {
  return foldBinaryConstants(adaptor.getOperands(), getType(), nullptr,
                             [](const APInt &a, const APInt &b) { return a ^ b; });
}

//===----------------------------------------------------------------------===//
// Unary folds
//===----------------------------------------------------------------------===//

OpFoldResult ReluOp::fold(FoldAdaptor) {
  // relu(relu(x)) == relu(x)
  if (getInput().getDefiningOp<ReluOp>())
    return getInput();
  return {};
}

OpFoldResult NegOp::fold(FoldAdaptor adaptor) {
  if (auto inner = getInput().getDefiningOp<NegOp>())
    return inner.getInput();
  auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
  if (!dense || dense.getNumElements() > kMaxFoldElements)
    return {};
  if (isa<FloatType>(dense.getElementType()))
    return dense.mapValues(dense.getElementType(), [](const APFloat &v) {
      return (-v).bitcastToAPInt();
    });
  return dense.mapValues(dense.getElementType(),
                         [](const APInt &v) { return -v; });
}

OpFoldResult ClipOp::fold(FoldAdaptor) {
  if (!getMin() && !getMax())
    return getInput();
  // clip(clip(x, a, b), c, d) with [a, b] inside [c, d] is the inner clip.
  if (auto inner = getInput().getDefiningOp<ClipOp>()) {
    auto lo = [](std::optional<APFloat> v) {
      return v ? v->convertToDouble() : -INFINITY;
    };
    auto hi = [](std::optional<APFloat> v) {
      return v ? v->convertToDouble() : INFINITY;
    };
    if (lo(inner.getMin()) >= lo(getMin()) && hi(inner.getMax()) <= hi(getMax()))
      return getInput();
  }
  return {};
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
  if (!dense || dense.getNumElements() > kMaxFoldElements)
    return {};
  Type from = dense.getElementType(), to = getType().getElementType();
  auto toInt = dyn_cast<IntegerType>(to);
  auto toFloat = dyn_cast<FloatType>(to);
  if (auto fromInt = dyn_cast<IntegerType>(from)) {
    bool fromBool = fromInt.getWidth() == 1;
    if (toInt)
      return dense.mapValues(to, [&](const APInt &v) {
        if (toInt.getWidth() == 1)
          return boolInt(!v.isZero());
        return fromBool ? v.zext(toInt.getWidth()) : v.sextOrTrunc(toInt.getWidth());
      });
    if (toFloat)
      return dense.mapValues(to, [&](const APInt &v) {
        APFloat f(toFloat.getFloatSemantics());
        f.convertFromAPInt(v, /*isSigned=*/!fromBool, APFloat::rmNearestTiesToEven);
        return f.bitcastToAPInt();
      });
  }
  if (isa<FloatType>(from)) {
    if (toFloat)
      return dense.mapValues(to, [&](const APFloat &v) {
        APFloat f = v;
        bool lost;
        f.convert(toFloat.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
        return f.bitcastToAPInt();
      });
    if (toInt) {
      if (toInt.getWidth() == 1)
        return dense.mapValues(to, [](const APFloat &v) { return boolInt(!v.isZero()); });
      // Out-of-range and NaN are undefined in ONNX: do not fold them.
      for (APFloat v : dense.getValues<APFloat>()) {
        APSInt i(toInt.getWidth(), /*isUnsigned=*/false);
        bool exact;
        if (v.convertToInteger(i, APFloat::rmTowardZero, &exact) & APFloat::opInvalidOp)
          return {};
      }
      return dense.mapValues(to, [&](const APFloat &v) {
        APSInt i(toInt.getWidth(), /*isUnsigned=*/false);
        bool exact;
        (void)v.convertToInteger(i, APFloat::rmTowardZero, &exact);
        return APInt(i);
      });
    }
  }
  return {};
}

OpFoldResult WhereOp::fold(FoldAdaptor adaptor) {
  auto cond = dyn_cast_or_null<DenseElementsAttr>(adaptor.getCondition());
  if (cond && cond.isSplat()) {
    Value pick = cond.getSplatValue<bool>() ? getLhs() : getRhs();
    if (pick.getType() == getType())
      return pick;
  }
  if (getLhs() == getRhs() && getLhs().getType() == getType())
    return getLhs();
  return {};
}
