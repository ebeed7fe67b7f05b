//===- QCLinalgOps.cpp - matmul, linear, convolution ----------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Dialect/QC/IR/QCTypeUtils.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qc;

//===----------------------------------------------------------------------===//
// Quantized forms shared by every contraction
//===----------------------------------------------------------------------===//

namespace {
/// Where the weight's output channel and reduction dimensions are, and how
/// its channels map onto the result's.
struct WeightLayout {
  std::optional<int64_t> channelDim;
  std::optional<int64_t> reductionDim;
  /// The result dimension holding the output channels (-1: the last).
  int64_t resultChannelDim = -1;
  /// The weight's channels repeat this many times along the result's
  /// (grouped transposed convolution: O/groups weight channels, O outputs).
  int64_t channelRepeat = 1;
};
} // namespace

static bool closeScale(double a, double b) {
  return std::fabs(a - b) <= 1e-6 * std::max(std::fabs(a), std::fabs(b));
}

/// Scales of a per-tensor or per-axis type (one entry for per-tensor).
static SmallVector<double> scalesOf(Type t) {
  if (auto q = dyn_cast<quant::UniformQuantizedType>(t))
    return {q.getScale()};
  if (auto q = dyn_cast<quant::UniformQuantizedPerAxisType>(t))
    return SmallVector<double>(q.getScales());
  return {};
}

/// The accumulator type `i32` with scales `s_x * s_w` must be described by
/// `t`: per-tensor, or per-axis along `axis` with one scale per channel.
static LogicalResult verifyAccumulatorType(Operation *op, StringRef what,
                                           Type t, ArrayRef<double> want,
                                           std::optional<int64_t> axis) {
  auto q = dyn_cast<quant::QuantizedType>(t);
  if (!q || q.getStorageTypeIntegralWidth() != 32)
    return op->emitOpError() << what << " must be i32-stored in the integer "
                             << "form, got " << t;
  SmallVector<double> have = scalesOf(t);
  if (have.empty())
    return op->emitOpError() << what << " must be per-tensor or per-axis";
  if (auto pa = dyn_cast<quant::UniformQuantizedPerAxisType>(t)) {
    if (llvm::any_of(pa.getZeroPoints(), [](int64_t z) { return z != 0; }))
      return op->emitOpError() << what << " must have zero point 0";
    if (axis && pa.getQuantizedDimension() != *axis)
      return op->emitOpError() << what << " must be quantized along dimension "
                               << *axis;
  } else if (cast<quant::UniformQuantizedType>(t).getZeroPoint() != 0) {
    return op->emitOpError() << what << " must have zero point 0";
  }
  if (have.size() != want.size() && !(have.size() == 1 && want.size() == 1))
    return op->emitOpError() << what << " must have " << want.size()
                             << " scale(s) (input scale times weight scale), "
                             << "got " << have.size();
  for (size_t i = 0; i < want.size(); ++i)
    if (!closeScale(have[i], want[i]))
      return op->emitOpError()
             << what << " scale " << have[i]
             << " must equal input scale times weight scale (" << want[i]
             << ")";
  return success();
}

static LogicalResult verifyContraction(Operation *op, Value input, Value weight,
                                       Value bias, Type resultType,
                                       WeightLayout layout) {
  auto inT = cast<RankedTensorType>(input.getType());
  auto wT = cast<RankedTensorType>(weight.getType());
  Type ie = inT.getElementType(), we = wT.getElementType();
  Type re = cast<RankedTensorType>(resultType).getElementType();
  Type be = bias ? cast<RankedTensorType>(bias.getType()).getElementType() : Type();
  bool inQ = isUniformQuantized(ie), wQ = isUniformQuantized(we),
       rQ = isUniformQuantized(re), bQ = be && isUniformQuantized(be);
  Type expressed = getExpressedType(ie);

  if (wQ) {
    if (failed(verifyQuantTypeForShape([&] { return op->emitOpError(); }, we,
                                       wT.getShape(), "weight")))
      return failure();
    if (auto pa = dyn_cast<quant::UniformQuantizedPerAxisType>(we)) {
      if (!layout.channelDim || pa.getQuantizedDimension() != *layout.channelDim)
        return op->emitOpError("per-axis weight quantization must be along "
                               "the output channel")
               << (layout.channelDim
                       ? " (dimension " + std::to_string(*layout.channelDim) + ")"
                       : std::string(" (a rank-1 weight has none)"));
    }
    if (auto sc = dyn_cast<quant::UniformQuantizedSubChannelType>(we)) {
      for (int32_t d : sc.getQuantizedDimensions())
        if (d != layout.channelDim && d != layout.reductionDim)
          return op->emitOpError("sub-channel weight blocks may only run along "
                                 "the output channel and reduction dimensions, "
                                 "not dimension ")
                 << d;
    }
    if (getExpressedType(we) != expressed)
      return op->emitOpError("weight expresses ")
             << getExpressedType(we) << " but the input is " << expressed;
  }

  // Float and weight-only forms: a float input.
  if (!inQ) {
    if (rQ || bQ)
      return op->emitOpError("a float input requires a float result and bias "
                             "(weight-only form); quantize the input for the "
                             "integer form");
    if (!wQ && we != ie)
      return op->emitOpError("weight element type ")
             << we << " does not match input element type " << ie;
    if (re != ie)
      return op->emitOpError("result element type ")
             << re << " does not match input element type " << ie;
    if (be && be != ie)
      return op->emitOpError("bias element type ")
             << be << " does not match input element type " << ie;
    if (op->hasAttr("dynamic_act")) {
      auto wq = dyn_cast<quant::QuantizedType>(we);
      if (!wq)
        return op->emitOpError("'dynamic_act' needs a per-tensor, per-axis or "
                               "block quantized weight");
      if (auto sc = dyn_cast<quant::UniformQuantizedSubChannelType>(we)) {
        // Blocks along the reduction dimension of a rank-2 weight (the
        // activation is quantized in blocks of the same size).
        int64_t block = 1;
        for (auto [d, bs] : llvm::zip(sc.getQuantizedDimensions(),
                                      sc.getBlockSizes()))
          if (d == layout.reductionDim)
            block = bs;
        if (isa<Conv2DOp>(op) || wT.getRank() != 2 || block <= 1)
          return op->emitOpError("'dynamic_act' with a block quantized weight "
                                 "needs a rank-2 matmul or linear weight with "
                                 "blocks along the reduction dimension");
      }
      if (wq.getStorageTypeIntegralWidth() > 8)
        return op->emitOpError("'dynamic_act' needs a weight of at most 8 "
                               "bits, got ")
               << we;
      SmallVector<int64_t> zps;
      if (auto pt = dyn_cast<quant::UniformQuantizedType>(we))
        zps.push_back(pt.getZeroPoint());
      else if (auto pa = dyn_cast<quant::UniformQuantizedPerAxisType>(we))
        zps.append(pa.getZeroPoints().begin(), pa.getZeroPoints().end());
      else
        for (const APInt &z : cast<quant::UniformQuantizedSubChannelType>(we)
                                  .getZeroPoints()
                                  .getValues<APInt>())
          zps.push_back(z.getSExtValue());
      if (llvm::any_of(zps, [](int64_t z) { return z != 0; }))
        return op->emitOpError("'dynamic_act' needs weight zero points 0");
    }
    return success();
  }
  if (op->hasAttr("dynamic_act"))
    return op->emitOpError("'dynamic_act' takes a float input");

  // Integer form.
  if (!isa<quant::UniformQuantizedType>(ie))
    return op->emitOpError("a quantized input must be per-tensor quantized, got ")
           << ie;
  if (!wQ)
    return op->emitOpError("a quantized input requires a quantized weight");
  if (isa<quant::UniformQuantizedSubChannelType>(we))
    return op->emitOpError("sub-channel weights take a float input "
                           "(weight-only form)");
  double sx = cast<quant::UniformQuantizedType>(ie).getScale();
  bool perAxis = isa<quant::UniformQuantizedPerAxisType>(we);
  SmallVector<double> acc;
  for (int64_t r = 0; r < (perAxis ? layout.channelRepeat : 1); ++r)
    for (double sw : scalesOf(we))
      acc.push_back(sx * sw);
  std::optional<int64_t> accAxis =
      perAxis ? layout.channelDim : std::nullopt;
  if (bias) {
    if (!bQ)
      return op->emitOpError("the integer form needs an i32 quantized bias, got ")
             << be;
    if (getExpressedType(be) != expressed)
      return op->emitOpError("bias expresses ")
             << getExpressedType(be) << " but the input is " << expressed;
    if (failed(verifyAccumulatorType(op, "bias", be, acc,
                                     accAxis ? std::optional<int64_t>(0)
                                             : std::nullopt)))
      return failure();
  }
  if (!rQ) {
    if (re != expressed)
      return op->emitOpError("a float result of the integer form must be ")
             << expressed << ", got " << re;
    return success();
  }
  if (getExpressedType(re) != expressed)
    return op->emitOpError("result expresses ")
           << getExpressedType(re) << " but the input is " << expressed;
  auto rq = cast<quant::QuantizedType>(re);
  if (rq.getStorageTypeIntegralWidth() == 32)
    return verifyAccumulatorType(
        op, "i32 result", re, acc,
        accAxis ? std::optional<int64_t>(
                      layout.resultChannelDim >= 0
                          ? layout.resultChannelDim
                          : cast<RankedTensorType>(resultType).getRank() - 1)
                : std::nullopt);
  if (!isa<quant::UniformQuantizedType>(re))
    return op->emitOpError("a requantized result must be per-tensor, got ") << re;
  return success();
}

static bool dimsDiffer(int64_t a, int64_t b) {
  return !ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b;
}

//===----------------------------------------------------------------------===//
// MatMulOp
//===----------------------------------------------------------------------===//

LogicalResult MatMulOp::verify() {
  auto a = getLhs().getType().getShape();
  auto b = getRhs().getType().getShape();
  if (a.empty() || b.empty())
    return emitOpError("operands must have rank >= 1");
  SmallVector<int64_t> a2(a), b2(b);
  if (a.size() == 1)
    a2.insert(a2.begin(), 1);
  if (b.size() == 1)
    b2.push_back(1);
  int64_t k1 = a2.back(), k2 = b2[b2.size() - 2];
  if (dimsDiffer(k1, k2))
    return emitOpError("reduction dimensions differ: lhs has ")
           << k1 << ", rhs has " << k2;
  std::string why;
  FailureOr<SmallVector<int64_t>> batch =
      broadcastShapes(ArrayRef(a2).drop_back(2), ArrayRef(b2).drop_back(2), &why);
  if (failed(batch))
    return emitOpError("batch dimensions do not broadcast: ") << why;
  SmallVector<int64_t> want(*batch);
  if (a.size() != 1)
    want.push_back(a2[a2.size() - 2]);
  if (b.size() != 1)
    want.push_back(b2.back());
  if (failed(verifyResultShape(*this, want, getType())))
    return failure();
  WeightLayout layout;
  if (b.size() > 1)
    layout.channelDim = b.size() - 1;
  layout.reductionDim = b.size() == 1 ? 0 : b.size() - 2;
  return verifyContraction(*this, getLhs(), getRhs(), Value(), getType(), layout);
}

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::verify() {
  auto x = getInput().getType().getShape();
  auto w = getWeight().getType().getShape();
  if (x.empty())
    return emitOpError("input must have rank >= 1");
  if (w.size() != 2)
    return emitOpError("weight must have rank 2 ([out_features, in_features]), got rank ")
           << w.size();
  if (dimsDiffer(x.back(), w[1]))
    return emitOpError("input has ")
           << x.back() << " features but the weight expects " << w[1];
  if (Value bias = getBias()) {
    auto bs = cast<RankedTensorType>(bias.getType()).getShape();
    if (bs.size() != 1 || dimsDiffer(bs[0], w[0]))
      return emitOpError("bias must have shape ") << w[0] << ", got "
                                                  << shapeToString(bs);
  }
  SmallVector<int64_t> want(x.drop_back());
  want.push_back(w[0]);
  if (failed(verifyResultShape(*this, want, getType())))
    return failure();
  return verifyContraction(*this, getInput(), getWeight(), getBias(), getType(),
                           WeightLayout{0, 1});
}

//===----------------------------------------------------------------------===//
// Convolutions
//===----------------------------------------------------------------------===//

/// Checks the window attributes common to both convolutions.
static LogicalResult verifyWindowAttrs(ArrayRef<int64_t> strides,
                                       ArrayRef<int64_t> pads,
                                       ArrayRef<int64_t> dilations,
                                       int64_t groups, std::string &why) {
  if (failed(verifyWindow2D(strides, pads, dilations, why)))
    return failure();
  if (groups <= 0) {
    why = "groups must be positive";
    return failure();
  }
  return success();
}

FailureOr<SmallVector<int64_t>> Conv2DOp::inferResultShape(
    ArrayRef<int64_t> x, ArrayRef<int64_t> w, ArrayRef<int64_t> strides,
    ArrayRef<int64_t> pads, ArrayRef<int64_t> dilations, int64_t groups,
    std::string *why) {
  std::string local;
  std::string &msg = why ? *why : local;
  if (x.size() != 4 || w.size() != 4) {
    msg = "input and weight must have rank 4 (NCHW and OIHW)";
    return failure();
  }
  if (failed(verifyWindowAttrs(strides, pads, dilations, groups, msg)))
    return failure();
  if (!ShapedType::isDynamic(x[1]) && !ShapedType::isDynamic(w[1]) &&
      x[1] != w[1] * groups) {
    msg = "input has " + std::to_string(x[1]) + " channels but weight expects " +
          std::to_string(w[1]) + " x " + std::to_string(groups) + " groups";
    return failure();
  }
  if (!ShapedType::isDynamic(w[0]) && w[0] % groups != 0) {
    msg = "output channels " + std::to_string(w[0]) +
          " are not divisible by groups " + std::to_string(groups);
    return failure();
  }
  SmallVector<int64_t> out{x[0], w[0]};
  for (int i = 0; i < 2; ++i) {
    if (ShapedType::isDynamic(x[2 + i]) || ShapedType::isDynamic(w[2 + i])) {
      out.push_back(ShapedType::kDynamic);
      continue;
    }
    int64_t span = dilations[i] * (w[2 + i] - 1) + 1;
    int64_t padded = x[2 + i] + pads[i] + pads[i + 2];
    if (padded < span) {
      msg = "kernel extent " + std::to_string(span) + " exceeds padded input " +
            std::to_string(padded) + " in spatial dimension " + std::to_string(i);
      return failure();
    }
    out.push_back((padded - span) / strides[i] + 1);
  }
  return out;
}

static LogicalResult verifyConvBias(Operation *op, Value bias, int64_t outCh) {
  if (!bias)
    return success();
  auto bs = cast<RankedTensorType>(bias.getType()).getShape();
  if (bs.size() != 1 || dimsDiffer(bs[0], outCh))
    return op->emitOpError("bias must have shape ")
           << outCh << " (one per output channel), got " << shapeToString(bs);
  return success();
}

LogicalResult Conv2DOp::verify() {
  auto x = getInput().getType().getShape();
  auto w = getWeight().getType().getShape();
  std::string why;
  FailureOr<SmallVector<int64_t>> want =
      inferResultShape(x, w, getStrides(), getPads(), getDilations(), getGroups(), &why);
  if (failed(want))
    return emitOpError(why);
  if (failed(verifyConvBias(*this, getBias(), w[0])) ||
      failed(verifyResultShape(*this, *want, getType())))
    return failure();
  return verifyContraction(*this, getInput(), getWeight(), getBias(), getType(),
                           WeightLayout{0, 1, /*resultChannelDim=*/1});
}

LogicalResult ConvTranspose2DOp::verify() {
  auto x = getInput().getType().getShape();
  auto w = getWeight().getType().getShape();
  if (x.size() != 4 || w.size() != 4)
    return emitOpError("input and weight must have rank 4 (NCHW and IOHW)");
  std::string why;
  if (failed(verifyWindowAttrs(getStrides(), getPads(), getDilations(),
                               getGroups(), why)))
    return emitOpError(why);
  ArrayRef<int64_t> outPad = getOutputPadding();
  if (outPad.size() != 2)
    return emitOpError("'output_padding' must have 2 entries");
  int64_t g = getGroups();
  if (dimsDiffer(x[1], w[0]))
    return emitOpError("input has ") << x[1] << " channels but weight expects "
                                     << w[0];
  if (!ShapedType::isDynamic(w[0]) && w[0] % g != 0)
    return emitOpError("input channels ") << w[0]
                                          << " are not divisible by groups " << g;
  SmallVector<int64_t> want{x[0], ShapedType::isDynamic(w[1])
                                      ? ShapedType::kDynamic
                                      : w[1] * g};
  for (int i = 0; i < 2; ++i) {
    int64_t s = getStrides()[i], d = getDilations()[i];
    if (outPad[i] < 0 || (outPad[i] >= s && outPad[i] >= d))
      return emitOpError("output_padding ")
             << outPad[i] << " must be non-negative and smaller than the stride "
             << "or the dilation";
    if (ShapedType::isDynamic(x[2 + i]) || ShapedType::isDynamic(w[2 + i])) {
      want.push_back(ShapedType::kDynamic);
      continue;
    }
    int64_t o = s * (x[2 + i] - 1) + outPad[i] + d * (w[2 + i] - 1) + 1 -
                getPads()[i] - getPads()[i + 2];
    if (o <= 0)
      return emitOpError("pads leave no output in spatial dimension ") << i;
    want.push_back(o);
  }
  if (failed(verifyConvBias(*this, getBias(), want[1])) ||
      failed(verifyResultShape(*this, want, getType())))
    return failure();
  return verifyContraction(*this, getInput(), getWeight(), getBias(), getType(),
                           WeightLayout{1, 0, /*resultChannelDim=*/1, g});
}
