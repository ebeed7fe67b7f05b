//===- QCNNOps.cpp - normalisation, reduction, pooling --------------------===//
//
// Part of quantc. Verifiers, shape inference and folds for the
// neural-network ops.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Dialect/QC/IR/QCTypeUtils.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/APInt.h"

#include <cmath>
#include <optional>

using namespace mlir;
using namespace mlir::qc;

/// Constant folding stops at this many input elements: it exists for shape
/// arithmetic and small parameter tensors, not for weights.
static constexpr int64_t kMaxFoldElements = 1 << 16;

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

static std::string str(int64_t v) { return std::to_string(v); }

/// Normalises a single signed `axis` attribute or reports it.
static FailureOr<int64_t> verifyAxis(Operation *op, uint64_t rawAxis,
                                     int64_t rank) {
  auto axis = static_cast<int64_t>(rawAxis);
  FailureOr<int64_t> norm = normalizeAxis(axis, rank);
  if (failed(norm))
    return op->emitOpError("axis ")
           << axis << " is out of range for rank " << rank << " (expected "
           << "[" << -rank << ", " << rank << "))";
  return norm;
}

static LogicalResult verifyEpsilon(Operation *op, const APFloat &eps) {
  double e = eps.convertToDouble();
  if (!(e >= 0.0) || std::isinf(e))
    return op->emitOpError("epsilon must be finite and non-negative, got ") << e;
  return success();
}

/// `param` (scale or bias of a normalisation) must have the input's element
/// type and broadcast unidirectionally to `target`.
static LogicalResult verifyNormParam(Operation *op, StringRef what, Value param,
                                     Type elementType,
                                     ArrayRef<int64_t> target) {
  if (!param)
    return success();
  auto type = cast<RankedTensorType>(param.getType());
  if (type.getElementType() != elementType)
    return op->emitOpError() << what << " element type " << type.getElementType()
                             << " does not match input element type "
                             << elementType;
  ArrayRef<int64_t> shape = type.getShape();
  auto fail = [&] {
    return op->emitOpError()
           << what << " shape " << shapeToString(shape)
           << " does not broadcast to the normalised shape "
           << shapeToString(target);
  };
  if (shape.size() > target.size())
    return fail();
  size_t offset = target.size() - shape.size();
  for (auto [i, d] : llvm::enumerate(shape)) {
    int64_t t = target[offset + i];
    // A dynamic dimension may be 1 or the target size: decided at run time.
    if (d == 1 || ShapedType::isDynamic(d) || ShapedType::isDynamic(t))
      continue;
    if (d != t)
      return fail();
  }
  return success();
}

static LogicalResult verifySameResultType(Operation *op, Type input,
                                          Type result) {
  if (input != result)
    return op->emitOpError("result type ")
           << result << " does not match input type " << input;
  return success();
}

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

/// Softmax over a dimension of static size 1 is a constant: every slice is
/// one element, `x - max(x)` is 0 (assuming finite inputs).
static Attribute foldUnitSoftmax(RankedTensorType type, int64_t axis,
                                 double value) {
  if (!type.hasStaticShape() || type.getDimSize(axis) != 1)
    return {};
  return SplatElementsAttr::get(type,
                                FloatAttr::get(type.getElementType(), value));
}

LogicalResult SoftmaxOp::verify() {
  return verifyAxis(*this, getAxis(), getInput().getType().getRank());
}

OpFoldResult SoftmaxOp::fold(FoldAdaptor) {
  return foldUnitSoftmax(getType(), getNormalizedAxis(), 1.0);
}

LogicalResult LogSoftmaxOp::verify() {
  return verifyAxis(*this, getAxis(), getInput().getType().getRank());
}

OpFoldResult LogSoftmaxOp::fold(FoldAdaptor) {
  return foldUnitSoftmax(getType(), getNormalizedAxis(), 0.0);
}

//===----------------------------------------------------------------------===//
// Normalisation
//===----------------------------------------------------------------------===//

LogicalResult LayerNormOp::verify() {
  RankedTensorType in = getInput().getType();
  FailureOr<int64_t> axis = verifyAxis(*this, getAxis(), in.getRank());
  if (failed(axis) || failed(verifyEpsilon(*this, getEpsilon())) ||
      failed(verifySameResultType(*this, in, getType())))
    return failure();
  ArrayRef<int64_t> norm = in.getShape().drop_front(*axis);
  if (failed(verifyNormParam(*this, "scale", getScale(), in.getElementType(),
                             norm)) ||
      failed(verifyNormParam(*this, "bias", getBias(), in.getElementType(),
                             norm)))
    return failure();
  return success();
}

LogicalResult RmsNormOp::verify() {
  RankedTensorType in = getInput().getType();
  FailureOr<int64_t> axis = verifyAxis(*this, getAxis(), in.getRank());
  if (failed(axis) || failed(verifyEpsilon(*this, getEpsilon())) ||
      failed(verifySameResultType(*this, in, getType())))
    return failure();
  return verifyNormParam(*this, "scale", getScale(), in.getElementType(),
                         in.getShape().drop_front(*axis));
}

LogicalResult InstanceNormOp::verify() {
  RankedTensorType in = getInput().getType();
  if (in.getRank() < 3)
    return emitOpError("input must have rank >= 3 ([N, C, D1, ...]), got rank ")
           << in.getRank();
  if (failed(verifyEpsilon(*this, getEpsilon())) ||
      failed(verifySameResultType(*this, in, getType())))
    return failure();
  int64_t channels = in.getDimSize(1);
  for (auto [what, v] : {std::pair<StringRef, Value>{"scale", getScale()},
                         std::pair<StringRef, Value>{"bias", getBias()}}) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getElementType() != in.getElementType())
      return emitOpError() << what << " element type " << t.getElementType()
                           << " does not match input element type "
                           << in.getElementType();
    if (t.getRank() != 1 || !isCompatibleShape(t.getShape(), {channels}))
      return emitOpError() << what << " must have shape "
                           << shapeToString({channels})
                           << " (one per channel), got "
                           << shapeToString(t.getShape());
  }
  return success();
}

//===----------------------------------------------------------------------===//
// ReduceOp
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>>
ReduceOp::inferResultShape(ArrayRef<int64_t> input, ArrayRef<int64_t> axes,
                           bool keepdims, std::string *why) {
  std::string local;
  std::string &msg = why ? *why : local;
  int64_t rank = input.size();
  if (axes.empty()) {
    msg = "axes must not be empty (list every axis to reduce all)";
    return failure();
  }
  for (auto [i, a] : llvm::enumerate(axes)) {
    if (a < 0 || a >= rank) {
      msg = "axis " + str(a) + " is out of range for rank " + str(rank) +
            " (axes must be normalised to [0, rank))";
      return failure();
    }
    if (i > 0 && a <= axes[i - 1]) {
      msg = "axes must be strictly increasing (sorted and unique)";
      return failure();
    }
  }
  SmallVector<int64_t> out;
  for (int64_t d = 0; d < rank; ++d) {
    if (!llvm::is_contained(axes, d))
      out.push_back(input[d]);
    else if (keepdims)
      out.push_back(1);
  }
  return out;
}

static bool isFloatOnly(ReduceKind kind) {
  return kind == ReduceKind::Mean || kind == ReduceKind::L2 ||
         kind == ReduceKind::LogSum || kind == ReduceKind::LogSumExp;
}

LogicalResult ReduceOp::verify() {
  RankedTensorType in = getInput().getType();
  std::string why;
  FailureOr<SmallVector<int64_t>> want =
      inferResultShape(in.getShape(), getAxes(), getKeepdims(), &why);
  if (failed(want))
    return emitOpError(why);
  if (getType().getElementType() != in.getElementType())
    return emitOpError("result element type ")
           << getType().getElementType() << " does not match input element type "
           << in.getElementType();
  if (isFloatOnly(getKind()) && !isa<FloatType>(in.getElementType()))
    return emitOpError("'") << stringifyReduceKind(getKind())
                            << "' reduction requires a float element type, got "
                            << in.getElementType();
  return verifyResultShape(*this, *want, getType());
}

/// Folds sum/prod/max/min of a small constant: the importer evaluates shape
/// arithmetic this way. Signed integers wrap; floats only for max/min, whose
/// result does not depend on the order of evaluation.
static Attribute foldReduceConstant(DenseElementsAttr input, ReduceKind kind,
                                    ArrayRef<int64_t> axes,
                                    RankedTensorType resultType) {
  auto inType = cast<RankedTensorType>(input.getType());
  Type elt = inType.getElementType();
  if (!resultType.hasStaticShape() ||
      inType.getNumElements() > kMaxFoldElements)
    return {};
  auto intType = dyn_cast<IntegerType>(elt);
  bool isFloat = isa<FloatType>(elt);
  if (intType && intType.getWidth() == 1)
    return {}; // i1 has no useful signed arithmetic
  if (!intType && !isFloat)
    return {};
  bool ok = kind == ReduceKind::Max || kind == ReduceKind::Min ||
            (intType && (kind == ReduceKind::Sum || kind == ReduceKind::Prod));
  if (!ok)
    return {};

  // Strides of the result with the reduced dimensions kept as size 1; its
  // element order is the same with or without keepdims.
  ArrayRef<int64_t> shape = inType.getShape();
  int64_t rank = shape.size();
  SmallVector<int64_t> outStride(rank, 0);
  int64_t stride = 1;
  for (int64_t d = rank - 1; d >= 0; --d) {
    if (llvm::is_contained(axes, d))
      continue;
    outStride[d] = stride;
    stride *= shape[d];
  }
  int64_t numOut = resultType.getNumElements();
  auto outIndex = [&](int64_t flat) {
    int64_t idx = 0;
    for (int64_t d = rank - 1; d >= 0; --d) {
      idx += (flat % shape[d]) * outStride[d];
      flat /= shape[d];
    }
    return idx;
  };

  if (intType) {
    unsigned w = intType.getWidth();
    APInt init = kind == ReduceKind::Sum    ? APInt(w, 0)
                 : kind == ReduceKind::Prod ? APInt(w, 1)
                 : kind == ReduceKind::Max  ? APInt::getSignedMinValue(w)
                                            : APInt::getSignedMaxValue(w);
    SmallVector<APInt> acc(numOut, init);
    for (auto [i, v] : llvm::enumerate(input.getValues<APInt>())) {
      APInt &a = acc[outIndex(i)];
      switch (kind) {
      case ReduceKind::Sum:
        a += v;
        break;
      case ReduceKind::Prod:
        a *= v;
        break;
      case ReduceKind::Max:
        if (v.sgt(a))
          a = v;
        break;
      default:
        if (v.slt(a))
          a = v;
        break;
      }
    }
    return DenseElementsAttr::get(resultType, acc);
  }

  const llvm::fltSemantics &sem = cast<FloatType>(elt).getFloatSemantics();
  APFloat init = APFloat::getInf(sem, /*Negative=*/kind == ReduceKind::Max);
  SmallVector<APFloat> acc(numOut, init);
  for (auto [i, v] : llvm::enumerate(input.getValues<APFloat>())) {
    APFloat &a = acc[outIndex(i)];
    // NaN propagates, as in the runtime reductions.
    a = kind == ReduceKind::Max ? llvm::maximum(a, v) : llvm::minimum(a, v);
  }
  return DenseElementsAttr::get(resultType, acc);
}

OpFoldResult ReduceOp::fold(FoldAdaptor adaptor) {
  ReduceKind kind = getKind();
  ArrayRef<int64_t> shape = getInput().getType().getShape();
  // Reducing only size-1 dimensions (kept) leaves every element alone for
  // the kinds whose value on one element is that element.
  bool identityKind = kind == ReduceKind::Sum || kind == ReduceKind::Mean ||
                      kind == ReduceKind::Max || kind == ReduceKind::Min ||
                      kind == ReduceKind::Prod;
  if (identityKind && getInput().getType() == getType() &&
      llvm::all_of(getAxes(), [&](int64_t a) { return shape[a] == 1; }))
    return getInput();
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput()))
    return foldReduceConstant(dense, kind, getAxes(), getType());
  return {};
}

//===----------------------------------------------------------------------===//
// ArgMaxOp, ArgMinOp
//===----------------------------------------------------------------------===//

static FailureOr<SmallVector<int64_t>>
inferArgReduceShape(ArrayRef<int64_t> input, int64_t axis, bool keepdims,
                    std::string *why) {
  int64_t rank = input.size();
  FailureOr<int64_t> norm = normalizeAxis(axis, rank);
  if (failed(norm)) {
    if (why)
      *why = "axis " + str(axis) + " is out of range for rank " + str(rank) +
             " (expected [" + str(-rank) + ", " + str(rank) + "))";
    return failure();
  }
  SmallVector<int64_t> out(input);
  if (keepdims)
    out[*norm] = 1;
  else
    out.erase(out.begin() + *norm);
  return out;
}

template <typename OpTy>
static LogicalResult verifyArgReduce(OpTy op) {
  RankedTensorType in = op.getInput().getType();
  Type elt = in.getElementType();
  if (isUniformQuantized(elt) && !isa<quant::UniformQuantizedType>(elt))
    return op.emitOpError("a quantized input must be per-tensor quantized, got ")
           << elt;
  std::string why;
  FailureOr<SmallVector<int64_t>> want = OpTy::inferResultShape(
      in.getShape(), static_cast<int64_t>(op.getAxis()), op.getKeepdims(), &why);
  if (failed(want))
    return op.emitOpError(why);
  return verifyResultShape(op, *want, op.getType());
}

/// Along a dimension of static size 1 the only index is 0.
template <typename OpTy>
static OpFoldResult foldArgReduce(OpTy op) {
  RankedTensorType in = op.getInput().getType();
  RankedTensorType out = op.getType();
  if (!out.hasStaticShape() || in.getDimSize(op.getNormalizedAxis()) != 1)
    return {};
  return SplatElementsAttr::get(out, IntegerAttr::get(out.getElementType(), 0));
}

FailureOr<SmallVector<int64_t>>
ArgMaxOp::inferResultShape(ArrayRef<int64_t> input, int64_t axis, bool keepdims,
                           std::string *why) {
  return inferArgReduceShape(input, axis, keepdims, why);
}
LogicalResult ArgMaxOp::verify() { return verifyArgReduce(*this); }
OpFoldResult ArgMaxOp::fold(FoldAdaptor) { return foldArgReduce(*this); }

FailureOr<SmallVector<int64_t>>
ArgMinOp::inferResultShape(ArrayRef<int64_t> input, int64_t axis, bool keepdims,
                           std::string *why) {
  return inferArgReduceShape(input, axis, keepdims, why);
}
LogicalResult ArgMinOp::verify() { return verifyArgReduce(*this); }
OpFoldResult ArgMinOp::fold(FoldAdaptor) { return foldArgReduce(*this); }

//===----------------------------------------------------------------------===//
// Pool2DOp
//===----------------------------------------------------------------------===//

/// Checks the sizes and signs of the window attributes.
static LogicalResult verifyPoolWindowAttrs(ArrayRef<int64_t> kernel,
                                           ArrayRef<int64_t> strides,
                                           ArrayRef<int64_t> pads,
                                           ArrayRef<int64_t> dilations,
                                           std::string &why) {
  if (kernel.size() != 2) {
    why = "'kernel' must have 2 entries [kh, kw]";
    return failure();
  }
  if (failed(verifyWindow2D(strides, pads, dilations, why)))
    return failure();
  if (llvm::any_of(kernel, [](int64_t k) { return k <= 0; })) {
    why = "kernel sizes must be positive";
    return failure();
  }
  for (int i = 0; i < 2; ++i) {
    int64_t span = dilations[i] * (kernel[i] - 1) + 1;
    // A pad as wide as the window would allow windows of padding only,
    // whose max and average are undefined.
    if (pads[i] >= span || pads[i + 2] >= span) {
      why = "pads in spatial dimension " + str(i) +
            " must be smaller than the kernel extent " + str(span);
      return failure();
    }
  }
  return success();
}

FailureOr<SmallVector<int64_t>> Pool2DOp::inferResultShape(
    ArrayRef<int64_t> x, ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
    ArrayRef<int64_t> pads, ArrayRef<int64_t> dilations, bool ceilMode,
    std::string *why) {
  std::string local;
  std::string &msg = why ? *why : local;
  if (x.size() != 4) {
    msg = "input must have rank 4 (NCHW), got rank " + str(x.size());
    return failure();
  }
  if (failed(verifyPoolWindowAttrs(kernel, strides, pads, dilations, msg)))
    return failure();
  SmallVector<int64_t> out{x[0], x[1]};
  for (int i = 0; i < 2; ++i) {
    int64_t in = x[2 + i];
    if (ShapedType::isDynamic(in)) {
      out.push_back(ShapedType::kDynamic);
      continue;
    }
    int64_t span = dilations[i] * (kernel[i] - 1) + 1;
    int64_t padded = in + pads[i] + pads[i + 2];
    if (padded < span) {
      msg = "kernel extent " + str(span) + " exceeds padded input " +
            str(padded) + " in spatial dimension " + str(i);
      return failure();
    }
    int64_t s = strides[i];
    int64_t o = (padded - span + (ceilMode ? s - 1 : 0)) / s + 1;
    // The last window must start inside the input or the leading padding.
    if (ceilMode && (o - 1) * s >= in + pads[i])
      --o;
    out.push_back(o);
  }
  return out;
}

LogicalResult Pool2DOp::verify() {
  RankedTensorType in = getInput().getType();
  std::string why;
  FailureOr<SmallVector<int64_t>> want =
      inferResultShape(in.getShape(), getKernel(), getStrides(), getPads(),
                       getDilations(), getCeilMode(), &why);
  if (failed(want))
    return emitOpError(why);
  if (failed(verifyResultShape(*this, *want, getType())))
    return failure();
  if (getKind() == PoolKind::Max && getCountIncludePad())
    return emitOpError("count_include_pad only applies to average pooling");

  Type ie = in.getElementType(), re = getType().getElementType();
  bool inQ = isUniformQuantized(ie), outQ = isUniformQuantized(re);
  if (!inQ && !outQ) {
    if (ie != re)
      return emitOpError("result element type ")
             << re << " does not match input element type " << ie;
    return success();
  }
  if (!inQ || !outQ)
    return emitOpError("input and result must both be float or both be "
                       "quantized, got ")
           << ie << " and " << re;
  if (!isa<quant::UniformQuantizedType>(ie))
    return emitOpError("a quantized input must be per-tensor quantized, got ")
           << ie;
  if (getKind() == PoolKind::Max) {
    // Max selects stored integers, so the type cannot change.
    if (re != ie)
      return emitOpError("quantized max pooling must keep the input type ")
             << ie << ", got " << re;
    return success();
  }
  if (!isa<quant::UniformQuantizedType>(re))
    return emitOpError("a quantized result must be per-tensor quantized, got ")
           << re;
  if (getExpressedType(re) != getExpressedType(ie))
    return emitOpError("result expresses ")
           << getExpressedType(re) << " but the input expresses "
           << getExpressedType(ie);
  return success();
}

OpFoldResult Pool2DOp::fold(FoldAdaptor) {
  // A 1x1 window with unit stride and no padding visits every element once.
  if (getInput().getType() == getType() &&
      llvm::all_of(getKernel(), [](int64_t k) { return k == 1; }) &&
      llvm::all_of(getStrides(), [](int64_t s) { return s == 1; }) &&
      llvm::all_of(getPads(), [](int64_t p) { return p == 0; }))
    return getInput();
  return {};
}
