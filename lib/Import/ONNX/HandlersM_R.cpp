//===- HandlersM_R.cpp - ONNX ops MatMul .. Round -------------------------===//
//
// Part of quantc. Handlers for ONNX op types starting with M to R.
//
//===----------------------------------------------------------------------===//

#include "ONNXImporterImpl.h"

#include "mlir/Dialect/Quant/IR/Quant.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::onnx_import;

/// Max / Min / Sum / Mean take any number of inputs: a chain of binary ops.
LogicalResult onnx_import::requireEqualShapesBeforeOpset8(Node &n) {
  if (n.opset >= 8)
    return success();
  Value first = n.input(0);
  if (!first)
    return failure();
  for (unsigned i = 1; i < n.numInputs(); ++i) {
    Value v = n.input(i);
    if (!v)
      return failure();
    if (n.shapeOf(v) != n.shapeOf(first))
      return n.fail("inputs of different shapes (" +
                    shapeToString(n.shapeOf(first)) + " and " +
                    shapeToString(n.shapeOf(v)) +
                    "): this op broadcasts only from opset 8");
  }
  return success();
}

template <typename OpTy>
static LogicalResult variadic(Node &n, bool mean = false) {
  if (failed(requireEqualShapesBeforeOpset8(n)))
    return failure();
  Value acc = n.input(0);
  for (unsigned i = 1; acc && i < n.numInputs(); ++i)
    acc = n.binary<OpTy>(acc, n.input(i));
  if (acc && mean && n.numInputs() > 1) {
    if (failed(requireFloat(n, acc)))
      return failure();
    acc = n.binary<DivOp>(acc, n.scalar(n.eltOf(acc), n.numInputs()));
  }
  if (!acc)
    return failure();
  return n.setResult(acc);
}

static LogicalResult matmul(Node &n) {
  Value a, b;
  if (failed(n.inputs(a, b)))
    return failure();
  if (failed(requireFloat(n, a, "A")))
    return failure();
  Value y = n.matmul(a, b);
  if (!y)
    return failure();
  return n.setResult(y);
}

/// fmod = 0 is qc.mod (Python semantics); fmod = 1 (C semantics, the only
/// form ONNX allows for floats) is a - b * trunc(a / b).
static LogicalResult mod(Node &n) {
  Value a, b;
  if (failed(n.inputs(a, b)))
    return failure();
  if (n.attrInt("fmod", 0) == 0)
    return n.setResult(n.binary<ModOp>(a, b));
  Value q = n.binary<DivOp>(a, b);
  if (q && isa<FloatType>(n.eltOf(q))) {
    Value mag = n.unary<FloorOp>(n.unary<AbsOp>(q));
    q = n.binary<MulOp>(n.unary<SignOp>(q), mag);
  }
  Value r = n.binary<SubOp>(a, n.binary<MulOp>(b, q));
  if (!r)
    return failure();
  return n.setResult(r);
}

static LogicalResult pad(Node &n) {
  Value x = n.input(0);
  if (!x)
    return failure();
  int64_t rank = n.rankOf(x);
  llvm::SmallVector<int64_t> pads;
  double value = 0;
  if (n.opset < 11) {
    pads = n.attrInts("pads").value_or(llvm::SmallVector<int64_t>{});
    value = n.attrFloat("value", 0);
  } else {
    auto p = n.constInts(1, "pads");
    if (failed(p))
      return failure();
    pads = *p;
    if (n.hasInput(2)) {
      auto v = n.constFloats(2, "constant_value");
      if (failed(v))
        return failure();
      if (!v->empty())
        value = v->front();
    }
    if (n.hasInput(3)) {
      auto axes = n.constInts(3, "axes");
      if (failed(axes))
        return failure();
      if (pads.size() != 2 * axes->size())
        return n.fail("pads must have two entries per axis");
      llvm::SmallVector<int64_t> full(2 * rank, 0);
      for (auto [i, a] : llvm::enumerate(*axes)) {
        auto axis = n.axis(a, rank);
        if (failed(axis))
          return failure();
        full[*axis] = pads[i];
        full[*axis + rank] = pads[i + axes->size()];
      }
      pads = full;
    }
  }
  if (static_cast<int64_t>(pads.size()) != 2 * rank)
    return n.fail("pads must have 2 * rank entries");
  std::string modeName = n.attrString("mode", "constant");
  PadMode mode;
  if (modeName == "constant")
    mode = PadMode::Constant;
  else if (modeName == "reflect")
    mode = PadMode::Reflect;
  else if (modeName == "edge")
    mode = PadMode::Edge;
  else if (modeName == "wrap")
    mode = PadMode::Wrap;
  else
    return n.fail("unsupported mode '" + modeName + "'");
  std::string why;
  auto shape = PadOp::inferResultShape(n.shapeOf(x), pads, mode, &why);
  if (failed(shape))
    return n.fail(why);
  return n.setResult(
      n.b.createOrFold<PadOp>(n.loc, RankedTensorType::get(*shape, n.eltOf(x)),
                              x, pads, mode, APFloat(value)));
}

static LogicalResult powOp(Node &n) {
  Value a, b;
  if (failed(n.inputs(a, b)) || failed(requireFloat(n, a, "X")))
    return failure();
  Value r = n.binary<PowOp>(a, n.castElements(b, n.eltOf(a)));
  if (!r)
    return failure();
  return n.setResult(r);
}

/// y = relu(x) + slope * min(x, 0).
static LogicalResult prelu(Node &n) {
  Value x, slope;
  if (failed(n.inputs(x, slope)) || failed(requireFloat(n, x)))
    return failure();
  // One op per statement: argument evaluation order would make the op
  // order compiler-dependent.
  Value pos = n.unary<ReluOp>(x);
  Value neg = n.binary<MinOp>(x, n.scalar(n.eltOf(x), 0.0));
  Value r = n.binary<AddOp>(pos, n.binary<MulOp>(slope, neg));
  if (!r)
    return failure();
  if (n.shapeOf(r) != n.shapeOf(x))
    return n.fail("slope must broadcast to the input shape");
  return n.setResult(r);
}

/// QuantizeLinear whose scale or zero point is only known at run time:
/// y = saturate(round_half_even(x / scale) + zero_point), computed in float
/// and stored through the storage view (scale 1, zero point 0), whose
/// quantization of the already integral value only saturates it.
static LogicalResult quantizeAtRunTime(Node &n, Value x, Type storage) {
  if (n.attrInt("block_size", 0) != 0)
    return n.fail("blocked quantization (block_size) is not supported");
  if (n.hasInput(2)) {
    std::optional<ElementsAttr> cz = n.constInput(2);
    Value z = cz ? Value() : n.input(2);
    if (!cz && !z)
      return failure();
    Type zElt =
        cz ? cast<ShapedType>(cz->getType()).getElementType() : n.eltOf(z);
    if (auto q = dyn_cast<quant::QuantizedType>(zElt))
      zElt = IntegerType::get(n.ctx(), q.getStorageTypeIntegralWidth(),
                              q.isSigned() ? IntegerType::Signless
                                           : IntegerType::Unsigned);
    storage = zElt;
  }
  Type f32 = n.b.getF32Type();
  Type view = storageViewType(storage, f32);
  if (!view)
    return n.fail("unsupported quantized storage type " + debugString(storage));
  int64_t rank = n.rankOf(x);
  Value scale = broadcastQuantParam(n, quantParamAsF32(n, 1), rank);
  if (!scale)
    return failure();
  // ONNX divides by the scale (it does not multiply by a reciprocal) and
  // rounds before adding the zero point.
  Value v = n.binary<DivOp>(n.castElements(x, f32), scale);
  if (!v)
    return failure();
  v = n.unary<RoundOp>(v);
  if (n.hasInput(2))
    v = n.binary<AddOp>(v, broadcastQuantParam(n, quantParamAsF32(n, 2), rank));
  if (!v)
    return failure();
  if (n.shapeOf(v) != n.shapeOf(x))
    return n.fail("the scale and zero point do not match the input shape " +
                  shapeToString(n.shapeOf(x)));
  return n.setResult(quant::QuantizeCastOp::create(
      n.b, n.loc, RankedTensorType::get(n.shapeOf(x), view), v));
}

static LogicalResult quantize(Node &n) {
  Value x = n.input(0);
  if (!x || failed(requireFloat(n, x, "x")))
    return failure();
  Type storage = IntegerType::get(n.ctx(), 8, IntegerType::Unsigned);
  if (int64_t dt = n.attrInt("output_dtype", 0)) {
    storage = elementTypeFor(n.ctx(), dt);
    if (!storage)
      return n.fail("unsupported output_dtype " + onnxTypeName(dt));
  }
  if (!n.constInput(1) || (n.hasInput(2) && !n.constInput(2)))
    return quantizeAtRunTime(n, x, storage);
  auto qt = quantTypeFromParams(n, 1, 2, n.shapeOf(x), storage);
  if (failed(qt))
    return failure();
  if (getExpressedType(*qt) != n.eltOf(x))
    return n.fail("x and the scale have different float types");
  return n.setResult(quant::QuantizeCastOp::create(
      n.b, n.loc, RankedTensorType::get(n.shapeOf(x), *qt), x));
}

static LogicalResult range(Node &n) {
  auto start = n.constFloats(0, "start");
  auto limit = n.constFloats(1, "limit");
  auto delta = n.constFloats(2, "delta");
  if (failed(start) || failed(limit) || failed(delta))
    return failure();
  if (start->size() != 1 || limit->size() != 1 || delta->size() != 1)
    return n.fail("start, limit and delta must be scalars");
  double s = start->front(), d = delta->front();
  if (d == 0)
    return n.fail("delta is 0");
  int64_t count = std::max<int64_t>(
      0, static_cast<int64_t>(std::ceil((limit->front() - s) / d)));
  if (count > (1 << 24))
    return n.fail("the range is too large to fold");
  Type elt = cast<ShapedType>(n.constInput(0)->getType()).getElementType();
  llvm::SmallVector<double> v;
  for (int64_t i = 0; i < count; ++i)
    v.push_back(s + i * d);
  Value c = n.constFloat(RankedTensorType::get({count}, elt), v);
  return n.setResult(c);
}

/// Reduce* with the axes from the attribute (`axesInput` false) or from
/// input 1.
static LogicalResult reduceOp(Node &n, ReduceKind kind, bool axesInput) {
  Value x = n.input(0);
  if (!x)
    return failure();
  bool keep = n.attrInt("keepdims", 1) != 0;
  bool noop = n.attrInt("noop_with_empty_axes", 0) != 0;
  llvm::SmallVector<int64_t> axes;
  if (axesInput) {
    if (n.hasInput(1)) {
      auto a = n.constInts(1, "axes");
      if (failed(a))
        return failure();
      axes = *a;
    }
  } else {
    axes = n.attrInts("axes").value_or(llvm::SmallVector<int64_t>{});
  }
  int64_t rank = n.rankOf(x);
  if (axes.empty()) {
    if (noop)
      return n.setResult(x);
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  }
  for (int64_t &a : axes) {
    auto norm = n.axis(a, rank);
    if (failed(norm))
      return failure();
    a = *norm;
  }
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  if (rank == 0)
    return n.setResult(x);
  bool floatOnly = kind == ReduceKind::Mean || kind == ReduceKind::L2 ||
                   kind == ReduceKind::LogSum || kind == ReduceKind::LogSumExp;
  if (floatOnly && failed(requireFloat(n, x)))
    return failure();
  Value r = n.reduce(x, kind, axes, keep);
  if (!r)
    return failure();
  return n.setResult(r);
}

static LogicalResult reshape(Node &n) {
  Value x = n.input(0);
  auto shape = n.constInts(1, "shape");
  if (!x || failed(shape))
    return failure();
  Value r = n.reshape(x, *shape, n.attrInt("allowzero", 0) != 0);
  if (!r)
    return failure();
  return n.setResult(r);
}

//===----------------------------------------------------------------------===//
// Resize
//===----------------------------------------------------------------------===//

static std::optional<CoordinateMode> coordinateMode(llvm::StringRef s) {
  return llvm::StringSwitch<std::optional<CoordinateMode>>(s)
      .Case("half_pixel", CoordinateMode::HalfPixel)
      .Case("half_pixel_symmetric", CoordinateMode::HalfPixelSymmetric)
      .Case("pytorch_half_pixel", CoordinateMode::PytorchHalfPixel)
      .Case("align_corners", CoordinateMode::AlignCorners)
      .Case("asymmetric", CoordinateMode::Asymmetric)
      .Default(std::nullopt);
}

static std::optional<NearestMode> nearestMode(llvm::StringRef s) {
  return llvm::StringSwitch<std::optional<NearestMode>>(s)
      .Case("round_prefer_floor", NearestMode::RoundPreferFloor)
      .Case("round_prefer_ceil", NearestMode::RoundPreferCeil)
      .Case("floor", NearestMode::Floor)
      .Case("ceil", NearestMode::Ceil)
      .Default(std::nullopt);
}

/// Resize / Upsample. Opset 10 and Upsample have neither coordinate modes
/// nor nearest modes: they behave as asymmetric with floor.
LogicalResult onnx_import::resizeImpl(Node &n, unsigned scalesIdx,
                                      unsigned sizesIdx, bool legacy) {
  Value x = n.input(0);
  if (!x)
    return failure();
  auto in = n.shapeOf(x);
  int64_t rank = in.size();

  std::string modeName = n.attrString("mode", "nearest");
  ResizeMode mode;
  if (modeName == "nearest")
    mode = ResizeMode::Nearest;
  else if (modeName == "linear" || (legacy && modeName == "bilinear"))
    mode = ResizeMode::Linear;
  else if (modeName == "cubic" && !legacy)
    mode = ResizeMode::Cubic;
  else
    return n.fail("unsupported mode '" + modeName + "'");

  CoordinateMode coord = CoordinateMode::Asymmetric;
  NearestMode nearest = NearestMode::Floor;
  if (!legacy) {
    std::string c =
        n.attrString("coordinate_transformation_mode", "half_pixel");
    auto cm = coordinateMode(c);
    if (!cm)
      return n.fail("unsupported coordinate_transformation_mode '" + c + "'");
    coord = *cm;
    std::string nm = n.attrString("nearest_mode", "round_prefer_floor");
    auto nmv = nearestMode(nm);
    if (!nmv)
      return n.fail("unsupported nearest_mode '" + nm + "'");
    nearest = *nmv;
  }

  // Optional axes (opset 18): scales/sizes list only those dimensions.
  llvm::SmallVector<int64_t> axes;
  if (auto a = n.attrInts("axes")) {
    for (int64_t v : *a) {
      auto axis = n.axis(v, rank);
      if (failed(axis))
        return failure();
      axes.push_back(*axis);
    }
  } else {
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  }

  std::optional<llvm::SmallVector<double>> scales;
  llvm::SmallVector<int64_t> outShape;
  if (scalesIdx == kScalesAttribute) {
    scales = n.attrFloats("scales");
    if (!scales)
      return n.fail("missing the scales attribute");
  } else if (n.hasInput(scalesIdx)) {
    auto s = n.constFloats(scalesIdx, "scales");
    if (failed(s))
      return failure();
    if (!s->empty())
      scales = *s;
  }
  if (scales) {
    if (scales->size() != axes.size())
      return n.fail("scales has " + llvm::Twine(scales->size()) +
                    " entries for " + llvm::Twine(axes.size()) + " axes");
    llvm::SmallVector<double> full(rank, 1.0);
    for (auto [i, a] : llvm::enumerate(axes))
      full[a] = (*scales)[i];
    scales = full;
    std::string why;
    auto shape = ResizeOp::inferResultShape(in, *scales, &why);
    if (failed(shape))
      return n.fail(why);
    outShape = *shape;
  } else if (!legacy && n.hasInput(sizesIdx)) {
    auto sizes = n.constInts(sizesIdx, "sizes");
    if (failed(sizes))
      return failure();
    if (sizes->size() != axes.size())
      return n.fail("sizes has " + llvm::Twine(sizes->size()) +
                    " entries for " + llvm::Twine(axes.size()) + " axes");
    if (!n.typeOf(x).hasStaticShape())
      return n.fail("resizing to sizes needs a static input shape");
    outShape.assign(in.begin(), in.end());
    std::string policy = n.attrString("keep_aspect_ratio_policy", "stretch");
    if (policy == "stretch") {
      for (auto [i, a] : llvm::enumerate(axes))
        outShape[a] = (*sizes)[i];
    } else if (policy == "not_larger" || policy == "not_smaller") {
      double scale = policy == "not_larger" ? INFINITY : 0.0;
      for (auto [i, a] : llvm::enumerate(axes)) {
        double s = static_cast<double>((*sizes)[i]) / in[a];
        scale =
            policy == "not_larger" ? std::min(scale, s) : std::max(scale, s);
      }
      for (int64_t a : axes)
        outShape[a] = static_cast<int64_t>(std::nearbyint(scale * in[a]));
    } else {
      return n.fail("unsupported keep_aspect_ratio_policy '" + policy + "'");
    }
  } else {
    return n.fail("needs scales or sizes");
  }
  if (n.attrInt("antialias", 0) != 0 && mode != ResizeMode::Nearest)
    for (auto [o, i] : llvm::zip(outShape, in))
      if (o < i)
        return n.fail("antialiased downsampling is not supported");
  auto type = RankedTensorType::get(outShape, n.eltOf(x));
  return n.setResult(n.b.createOrFold<ResizeOp>(
      n.loc, type, x, mode, coord, nearest,
      APFloat(n.attrFloat("cubic_coeff_a", -0.75)),
      n.attrInt("exclude_outside", 0) != 0,
      scales ? n.b.getDenseF64ArrayAttr(*scales) : DenseF64ArrayAttr()));
}

static LogicalResult resize(Node &n) {
  if (n.opset < 11)
    return resizeImpl(n, 1, 2, /*legacy=*/true);
  std::string c = n.attrString("coordinate_transformation_mode", "half_pixel");
  if (c == "tf_crop_and_resize")
    return n.fail("unsupported coordinate_transformation_mode '" + c + "'");
  return resizeImpl(n, 2, 3, /*legacy=*/false);
}

void onnx_import::populateHandlersM_R(HandlerRegistry &r) {
  r.onOp("MatMul", 1, matmul);
  r.onOp("Max", 6, [](Node &n) { return variadic<MaxOp>(n); });
  r.onOp("MaxPool", 1, [](Node &n) -> LogicalResult {
    if (failed(n.onlyOutputs(1)))
      return failure();
    return pool2D(n, PoolKind::Max);
  });
  r.onOp("Mean", 6, [](Node &n) { return variadic<AddOp>(n, true); });
  r.onOp("Min", 6, [](Node &n) { return variadic<MinOp>(n); });
  r.onOp("Mod", 10, mod);
  r.onOp("Mul", 7, binaryHandler<MulOp>());
  r.onOp("Neg", 6, [](Node &n) -> LogicalResult {
    Value x = n.input(0);
    if (!x)
      return failure();
    return n.setResult(n.unary<NegOp>(x));
  });
  r.onOp("Not", 1, [](Node &n) -> LogicalResult {
    Value x = n.input(0);
    if (!x)
      return failure();
    return n.setResult(n.unary<NotOp>(x));
  });
  r.onOp("Or", 7, binaryHandler<OrOp>(true));
  r.onOp("Pad", 2, pad);
  r.onOp("Pad", 11, pad);
  r.onOp("Pow", 7, powOp);
  r.onOp("PRelu", 7, prelu);
  r.onOp("QuantizeLinear", 10, quantize);
  r.onOp("Range", 11, range);
  r.onOp("Reciprocal", 6, unaryFloatHandler<ReciprocalOp>());
  struct {
    const char *name;
    ReduceKind kind;
  } reductions[] = {{"ReduceL1", ReduceKind::L1},
                    {"ReduceL2", ReduceKind::L2},
                    {"ReduceLogSum", ReduceKind::LogSum},
                    {"ReduceLogSumExp", ReduceKind::LogSumExp},
                    {"ReduceMax", ReduceKind::Max},
                    {"ReduceMean", ReduceKind::Mean},
                    {"ReduceMin", ReduceKind::Min},
                    {"ReduceProd", ReduceKind::Prod},
                    {"ReduceSum", ReduceKind::Sum},
                    {"ReduceSumSquare", ReduceKind::SumSquare}};
  for (auto [name, kind] : reductions) {
    ReduceKind k = kind;
    // ReduceSum took its axes as an input from opset 13, the others from 18.
    int64_t inputSince = llvm::StringRef(name) == "ReduceSum" ? 13 : 18;
    r.onOp(name, 1, [k](Node &n) { return reduceOp(n, k, false); });
    r.onOp(name, inputSince, [k](Node &n) { return reduceOp(n, k, true); });
  }
  r.onOp("Relu", 6, [](Node &n) -> LogicalResult {
    Value x = n.input(0);
    if (!x)
      return failure();
    return n.setResult(n.unary<ReluOp>(x));
  });
  r.onOp("Reshape", 5, reshape);
  r.onOp("Resize", 10, resize);
  r.onOp("Resize", 11, resize);
  r.onOp("Round", 11, unaryFloatHandler<RoundOp>());
}
