//===- HandlersG_L.cpp - ONNX ops Gather .. LogSoftmax --------------------===//
//
// Part of quantc. Handlers for ONNX op types starting with G to L.
//
//===----------------------------------------------------------------------===//

#include "ONNXImporterImpl.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::onnx_import;

static LogicalResult gather(Node &n) {
  Value data, indices;
  if (failed(n.inputs(data, indices)))
    return failure();
  if (!n.eltOf(indices).isInteger(32) && !n.eltOf(indices).isInteger(64))
    return n.fail("indices must be int32 or int64");
  auto axis = n.axis(n.attrInt("axis", 0), n.rankOf(data));
  if (failed(axis))
    return failure();
  std::string why;
  auto shape = GatherOp::inferResultShape(n.shapeOf(data), n.shapeOf(indices),
                                          *axis, &why);
  if (failed(shape))
    return n.fail(why);
  return n.setResult(n.b.createOrFold<GatherOp>(
      n.loc, RankedTensorType::get(*shape, n.eltOf(data)), data, indices,
      n.b.getI64IntegerAttr(*axis)));
}

/// Hardmax: 1 at the first maximum along the axis, 0 elsewhere, i.e. the
/// arg-max index compared with the positions along the axis. Before opset
/// 13 the input is flattened to 2-D at `axis` and each row is handled.
static LogicalResult hardmax(Node &n) {
  Value x = n.input(0);
  if (!x || failed(requireFloat(n, x)))
    return failure();
  int64_t rank = n.rankOf(x);
  if (rank == 0)
    return n.fail("input must have rank >= 1");
  auto s = n.shapeOf(x);
  if (!n.typeOf(x).hasStaticShape())
    return n.fail("unsupported dynamic shape " + shapeToString(s) +
                  " (use --input-shape)");
  Value v = x;
  int64_t axis;
  if (n.opset >= 13) {
    auto a = n.axis(n.attrInt("axis", -1), rank);
    if (failed(a))
      return failure();
    axis = *a;
  } else {
    auto a = n.axis(n.attrInt("axis", 1), rank);
    if (failed(a))
      return failure();
    v = n.reshape(x, {ShapedType::getNumElements(s.take_front(*a)),
                      ShapedType::getNumElements(s.drop_front(*a))});
    if (!v)
      return failure();
    axis = 1;
  }
  auto vs = n.shapeOf(v);
  int64_t vr = vs.size();
  std::string why;
  auto amShape = ArgMaxOp::inferResultShape(vs, axis, /*keepdims=*/true, &why);
  if (failed(amShape))
    return n.fail(why);
  // ArgMax reports the first of equal maxima, as Hardmax requires.
  Value am = n.b.createOrFold<ArgMaxOp>(
      n.loc, RankedTensorType::get(*amShape, n.b.getI64Type()), v,
      n.b.getI64IntegerAttr(axis), n.b.getBoolAttr(true),
      n.b.getBoolAttr(false));
  llvm::SmallVector<int64_t> iotaShape(vr - axis, 1);
  iotaShape[0] = vs[axis];
  llvm::SmallVector<int64_t> iota(vs[axis]);
  for (int64_t i = 0; i < vs[axis]; ++i)
    iota[i] = i;
  Value positions = ConstantOp::create(
      n.b, n.loc,
      DenseElementsAttr::get(RankedTensorType::get(iotaShape, n.b.getI64Type()),
                             llvm::ArrayRef<int64_t>(iota)));
  Value y = n.castElements(n.binary<EqualOp>(am, positions, true), n.eltOf(x));
  if (y && n.opset < 13)
    y = n.reshape(y, s);
  if (!y)
    return failure();
  return n.setResult(y);
}

/// IsInf: comparisons with the infinities the attributes ask for.
static LogicalResult isInf(Node &n) {
  Value x = n.input(0);
  if (!x || failed(requireFloat(n, x)))
    return failure();
  bool pos = n.attrInt("detect_positive", 1) != 0;
  bool neg = n.attrInt("detect_negative", 1) != 0;
  Type elt = n.eltOf(x);
  Value r;
  if (pos)
    r = n.binary<EqualOp>(x, n.scalar(elt, INFINITY), true);
  if (neg) {
    Value m = n.binary<EqualOp>(x, n.scalar(elt, -INFINITY), true);
    r = r ? n.binary<OrOp>(r, m, true) : m;
  }
  if (!pos && !neg) {
    if (!n.typeOf(x).hasStaticShape())
      return n.fail("unsupported dynamic shape with neither infinity detected");
    n.setConstResult(
        0, DenseElementsAttr::get(
               RankedTensorType::get(n.shapeOf(x), n.b.getI1Type()), false));
    return success();
  }
  if (!r)
    return failure();
  return n.setResult(r);
}

static LogicalResult gelu(Node &n) {
  Value x = n.input(0);
  if (!x || failed(requireFloat(n, x)))
    return failure();
  std::string approx = n.attrString("approximate", "none");
  if (approx != "none" && approx != "tanh")
    return n.fail("unsupported approximate '" + approx + "'");
  return n.setResult(
      GeluOp::create(n.b, n.loc, x.getType(), x,
                     approx == "tanh" ? GeluApprox::Tanh : GeluApprox::None));
}

/// Y = alpha * A' * B' + beta * C. A transposed B with a constant B is a
/// fully connected layer: qc.linear, with C as its bias when it is a vector.
static LogicalResult gemm(Node &n) {
  Value a, bm;
  if (failed(n.inputs(a, bm)))
    return failure();
  if (n.rankOf(a) != 2 || n.rankOf(bm) != 2)
    return n.fail("A and B must be matrices");
  if (failed(requireFloat(n, a, "A")))
    return failure();
  double alpha = n.attrFloat("alpha", 1.0), beta = n.attrFloat("beta", 1.0);
  bool transA = n.attrInt("transA", 0) != 0;
  bool transB = n.attrInt("transB", 0) != 0;
  if (transA)
    a = n.transpose(a, {1, 0});
  Value c;
  if (n.hasInput(2) && !(c = n.input(2)))
    return failure();
  Type elt = n.eltOf(a);
  Value y;
  // Constant weights make a fully connected layer, and so do weights of QDQ
  // models: a DequantizeLinear of constant integers, or of a QuantizeLinear
  // of constant floats.
  bool constB = n.constInput(1).has_value();
  if (auto dq = bm.getDefiningOp<quant::DequantizeCastOp>()) {
    Value q = dq.getInput();
    if (auto qc = q.getDefiningOp<quant::QuantizeCastOp>())
      q = qc.getInput();
    constB = constB || q.getDefiningOp<ConstantOp>();
  }
  if (transB && constB) {
    Value w = bm;
    if (alpha != 1.0)
      w = n.binary<MulOp>(w, n.scalar(elt, alpha));
    if (!w)
      return failure();
    Value bias;
    int64_t outN = n.shapeOf(w)[0];
    if (c && (n.shapeOf(c) == llvm::ArrayRef<int64_t>{outN} ||
              n.shapeOf(c) == llvm::ArrayRef<int64_t>{1, outN})) {
      bias = n.reshape(c, {outN});
      if (bias && beta != 1.0)
        bias = n.binary<MulOp>(bias, n.scalar(elt, beta, 1));
      if (!bias)
        return failure();
      c = nullptr;
    }
    auto type = RankedTensorType::get({n.shapeOf(a)[0], outN}, elt);
    y = LinearOp::create(n.b, n.loc, type, a, w, bias);
  } else {
    if (transB)
      bm = n.transpose(bm, {1, 0});
    y = n.matmul(a, bm);
    if (y && alpha != 1.0)
      y = n.binary<MulOp>(y, n.scalar(elt, alpha));
  }
  if (y && c) {
    if (beta != 1.0)
      c = n.binary<MulOp>(c, n.scalar(elt, beta));
    y = n.binary<AddOp>(y, c);
  }
  if (!y)
    return failure();
  return n.setResult(y);
}

static LogicalResult globalPool(Node &n, bool isMax) {
  Value x = n.input(0);
  if (!x)
    return failure();
  int64_t rank = n.rankOf(x);
  if (rank < 3)
    return n.fail("input must have rank >= 3");
  if (isUniformQuantized(n.eltOf(x))) {
    // Quantized data cannot be reduced; a window over the whole plane can.
    auto s = n.shapeOf(x);
    if (rank != 4 || ShapedType::isDynamic(s[2]) || ShapedType::isDynamic(s[3]))
      return n.fail("quantized global pooling needs a static 4-D input");
    return n.setResult(Pool2DOp::create(
        n.b, n.loc, RankedTensorType::get({s[0], s[1], 1, 1}, n.eltOf(x)), x,
        isMax ? PoolKind::Max : PoolKind::Avg,
        llvm::ArrayRef<int64_t>{s[2], s[3]}));
  }
  llvm::SmallVector<int64_t> axes;
  for (int64_t i = 2; i < rank; ++i)
    axes.push_back(i);
  Value r = n.reduce(x, isMax ? ReduceKind::Max : ReduceKind::Mean, axes,
                     /*keepdims=*/true);
  if (!r)
    return failure();
  return n.setResult(r);
}

static LogicalResult hardSigmoid(Node &n) {
  Value x = n.input(0);
  if (!x || failed(requireFloat(n, x)))
    return failure();
  return n.setResult(HardSigmoidOp::create(n.b, n.loc, x.getType(), x,
                                           APFloat(n.attrFloat("alpha", 0.2)),
                                           APFloat(n.attrFloat("beta", 0.5))));
}

static LogicalResult identity(Node &n) {
  if (!n.importer.values.count(n.proto.input(0)))
    if (std::optional<ElementsAttr> c = n.constInput(0)) {
      n.setConstResult(0, *c);
      return success();
    }
  Value x = n.input(0);
  if (!x)
    return failure();
  return n.setResult(x);
}

static LogicalResult instanceNorm(Node &n) {
  Value x, scale, bias;
  if (failed(n.inputs(x, scale, bias)) || failed(requireFloat(n, x)))
    return failure();
  if (n.rankOf(x) < 3)
    return n.fail("input must have rank >= 3");
  return n.setResult(
      InstanceNormOp::create(n.b, n.loc, x.getType(), x, scale, bias,
                             APFloat(n.attrFloat("epsilon", 1e-5))));
}

/// The optional Mean and InvStdDev outputs of LayerNormalization, from the
/// same reductions the op performs (they are training by-products; models
/// exported for inference rarely use them).
static LogicalResult layerNormStats(Node &n, Value x, int64_t axis) {
  if (!n.eltOf(x).isF32())
    return n.fail("the Mean/InvStdDev outputs are only supported for float "
                  "inputs");
  llvm::SmallVector<int64_t> axes;
  for (int64_t i = axis; i < n.rankOf(x); ++i)
    axes.push_back(i);
  Value mean = n.reduce(x, ReduceKind::Mean, axes, /*keepdims=*/true);
  Value diff = n.binary<SubOp>(x, mean);
  Value var =
      n.reduce(n.binary<MulOp>(diff, diff), ReduceKind::Mean, axes, true);
  Value eps = n.scalar(n.eltOf(x), n.attrFloat("epsilon", 1e-5));
  Value inv = n.binary<AddOp>(var, eps);
  if (!inv)
    return failure();
  n.setResult(1, mean);
  n.setResult(2, n.unary<RsqrtOp>(inv));
  return success();
}

static LogicalResult layerNorm(Node &n) {
  Value x, scale;
  if (failed(n.inputs(x, scale)) || failed(requireFloat(n, x)))
    return failure();
  Value bias;
  if (n.hasInput(2) && !(bias = n.input(2)))
    return failure();
  auto axis = n.axis(n.attrInt("axis", -1), n.rankOf(x));
  if (failed(axis))
    return failure();
  if ((n.hasOutput(1) || n.hasOutput(2)) && failed(layerNormStats(n, x, *axis)))
    return failure();
  return n.setResult(LayerNormOp::create(
      n.b, n.loc, x.getType(), x, scale, bias, n.b.getI64IntegerAttr(*axis),
      n.b.getF64FloatAttr(n.attrFloat("epsilon", 1e-5))));
}

static LogicalResult leakyRelu(Node &n) {
  Value x = n.input(0);
  if (!x || failed(requireFloat(n, x)))
    return failure();
  return n.setResult(LeakyReluOp::create(n.b, n.loc, x.getType(), x,
                                         APFloat(n.attrFloat("alpha", 0.01))));
}

void onnx_import::populateHandlersG_L(HandlerRegistry &r) {
  r.onOp("Gather", 1, gather);
  r.onOp("Gelu", 20, gelu);
  r.onOp("Gemm", 7, gemm);
  r.onOp("GlobalAveragePool", 1, [](Node &n) { return globalPool(n, false); });
  r.onOp("GlobalMaxPool", 1, [](Node &n) { return globalPool(n, true); });
  r.onOp("Greater", 7, binaryHandler<GreaterOp>(true));
  r.onOp("GreaterOrEqual", 12, binaryHandler<GreaterEqualOp>(true));
  r.onOp("HardSigmoid", 6, hardSigmoid);
  r.onOp("Hardmax", 1, hardmax);
  r.onOp("Hardmax", 13, hardmax);
  r.onOp("HardSwish", 14, unaryFloatHandler<HardSwishOp>());
  r.onOp("Identity", 1, identity);
  r.onOp("InstanceNormalization", 6, instanceNorm);
  r.onOp("IsInf", 10, isInf);
  r.onOp("LayerNormalization", 17, layerNorm);
  r.onOp("LeakyRelu", 6, leakyRelu);
  r.onOp("Less", 7, binaryHandler<LessOp>(true));
  r.onOp("LessOrEqual", 12, binaryHandler<LessEqualOp>(true));
  r.onOp("Log", 6, unaryFloatHandler<LogOp>());
  r.onOp("LogSoftmax", 1, [](Node &n) { return softmax(n, /*log=*/true); });
  r.onOp("LogSoftmax", 13, [](Node &n) { return softmax(n, /*log=*/true); });
}
